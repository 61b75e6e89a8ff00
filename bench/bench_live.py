"""The live index: how soon a saved edit is searchable, and what watching costs while nothing changes.

    nice -n 10 .venv/bin/python -m bench.bench_live [--files 1000] [--edits 20] [--switch-files 100] [--switches 7]
                                                    [--repos 10] [--idle 30] [--codebase PATH]
                                                    [--designs child,per-update,in-process]

``--codebase PATH`` (a git repository, cloned, or a folder, committed as it is) replaces the generated
repository of parts 1 and 2 by real code, e.g. fastapi's own repository (3,139 files): each edit then
appends a function to one of its real Python files, and the switch appends one to ``--switch-files`` of them.

1. Edit to searchable: a repository of ``--files`` small Python modules is ingested, then watched
   (engine/live/watcher.py, on a thread of this process). Each round rewrites one file with a new function
   name and times from just before the write to the moment the catalog (what search reads) holds the new
   symbol. The updates are run by each of ``--designs`` in turn, ``--edits`` rounds each (not interleaved
   update by update: a child kept between updates must be let go when another process wrote the vector store,
   so another design's updates would restart it each time): "child", as `pharos-desktop watch` runs them
   (engine/live/update.py: one child kept while updates come); "per-update", a child that ends with each
   update; "in-process", the watcher's own process (as `watch` did before). The first update of a design that
   keeps its model loads it: reported on its own and left out of its p50/p95.
2. Branch switch to searchable: the same kind of repository with a second branch in which ``--switch-files``
   files hold new functions; each round is a real `git checkout` of the other branch, timed until the index
   records that branch's commit, finished (every changed file re-read, deleted symbols gone); designs as in 1.
3. Idle cost: ``--repos`` small repositories are ingested, then one `pharos-desktop watch` process follows
   them all; once it has looked at each (a current index costs no update), its CPU time over ``--idle``
   seconds of no change (as a share of one core) and its memory (RSS and USS) are read with psutil; then
   again after one edit in one repository was updated, while its update child is still kept (the child's own
   memory beside), and once more after the child was let go.

Every figure is printed with the machine's load average at the time (1 minute).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def function(name: str) -> str:
    return f'def {name}(value):\n    """{name.replace("_", " ")}."""\n    return value\n'


def make_repo(path: Path, files: int, codebase: Path | None) -> Path:
    """The repository to follow: ``files`` generated modules, or the real ``codebase``."""
    import shutil

    from pharos_desktop.tools.sample_repos import commit_all, init_repo, make_many_file_repo

    if codebase is None:
        return make_many_file_repo(path, files)
    if (codebase / ".git").exists() or (codebase / "HEAD").is_file():  # a working tree, or a bare mirror
        subprocess.run(["git", "clone", "--quiet", str(codebase), str(path)], check=True)
        return path
    shutil.copytree(codebase, path, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    init_repo(path).close()
    commit_all(path, f"{codebase.name} as it is")
    return path


def ingested(path: Path):
    """Ingest ``path`` into a fresh workspace: (workspace, its record, its indexed Python files, seconds)."""
    from pharos_desktop.engine.ingest import Ingestor
    from pharos_desktop.engine.run.task import Task
    from pharos_desktop.engine.source import parse_source
    from pharos_desktop.engine.states import JobKind
    from pharos_desktop.engine.workspace import Workspace

    workspace = Workspace()
    began = time.perf_counter()
    Ingestor(workspace).ingest(str(path), task=Task(JobKind.INGEST))
    seconds = time.perf_counter() - began
    repo = workspace.catalog.find_repo(parse_source(str(path)).repo_id)
    modules = sorted(f.path for f in workspace.catalog.files(repo.repo_id, indexed_only=True) if f.path.endswith(".py"))
    return workspace, repo, modules, seconds


def edit_to_searchable(work: Path, files: int, edits: int, designs: list[str], codebase: Path | None = None) -> dict:
    path = make_repo(work / "many", files, codebase)
    workspace, repo, modules, first_ingest = ingested(path)
    timed: list[tuple[str, float]] = []
    for n, design in enumerate(designs):
        with following(workspace, repo, design):
            for round_ in range(n * edits, (n + 1) * edits):
                rel = modules[(round_ * 37) % len(modules)]
                symbol = f"edited_{round_}"
                began = time.perf_counter()
                with open(path / rel, "a", encoding="utf-8") as saved:  # one more function in a file the index reads
                    saved.write("\n\n" + function(symbol))
                while not workspace.catalog.read("SELECT 1 FROM chunks WHERE repo_id = ? AND symbol = ?",
                                                 (repo.repo_id, symbol)).fetchone():
                    time.sleep(0.01)
                timed.append((design, time.perf_counter() - began))
                time.sleep(0.5)
    return {"files": repo.files, "first_ingest_s": round(first_ingest, 1), **by_design(timed)}


def by_design(timed: list[tuple[str, float]]) -> dict:
    """Each design's p50/p95, without the first update of one that keeps its model (it loads it)."""
    figures = {}
    for design in dict.fromkeys(name for name, _ in timed):
        seconds = [s for name, s in timed if name == design]
        warm = seconds[1:] if design != "per-update" and len(seconds) > 1 else seconds
        figures[design] = {"first_s": round(seconds[0], 2), **percentiles(warm), "n": len(warm),
                           "load": round(os.getloadavg()[0], 1)}
    return figures


@contextmanager
def following(workspace, record, design: str):
    """The live index following one repository on a thread of this process, its updates run by ``design``, from
    its first look until the block ends."""
    from pharos_desktop.engine.live.update import UpdateChild, in_this_process
    from pharos_desktop.engine.live.watcher import LiveIndex
    from pharos_desktop.engine.run.cancel import CancelToken

    lines: list[str] = []
    cancel = CancelToken()
    update = {"child": lambda: UpdateChild(workspace, cancel), "per-update": lambda: UpdateChild(workspace, cancel, 0),
              "in-process": lambda: in_this_process(workspace)}[design]()

    def report(name: str, line: str) -> None:
        lines.append(line)
        if line.startswith("check failed"):  # the round would never end: say why
            print(f"{name}: {line}", file=sys.stderr, flush=True)

    def emit(event) -> None:
        if type(event).__name__ == "JobFailed":
            print(f"update failed: {event.message}\n{event.detail[-2000:]}", file=sys.stderr, flush=True)

    live = LiveIndex(workspace, [record], cancel=cancel, report=report, emit=emit, update=update)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    while not lines:
        time.sleep(0.05)
    try:
        yield
    finally:
        cancel.cancel()
        thread.join(30)
        if isinstance(update, UpdateChild):
            update.stop()


def percentiles(seconds: list[float]) -> dict:
    timed = sorted(seconds)
    return {"p50_s": round(statistics.median(timed), 2),
            "p95_s": round(timed[min(len(timed) - 1, round(0.95 * (len(timed) - 1)))], 2)}


def branch_switch(work: Path, files: int, changed: int, switches: int, designs: list[str],
                  codebase: Path | None = None) -> dict:
    import git

    from pharos_desktop.engine.states import RepoState
    from pharos_desktop.tools.sample_repos import commit_all

    path = make_repo(work / "switch", files, codebase)
    workspace, record, modules, _seconds = ingested(path)
    with git.Repo(path) as repo:
        start = repo.active_branch.name
        main = repo.head.commit.hexsha
        repo.git.checkout("-q", "-b", "other")
        for n, rel in enumerate(modules[:changed]):
            with open(path / rel, "a", encoding="utf-8") as saved:
                saved.write("\n\n" + function(f"switched_{n}"))
        other = commit_all(path, f"{changed} files changed")
        repo.git.checkout("-q", start)
    timed: list[tuple[str, float]] = []
    for n, design in enumerate(designs):
        with following(workspace, record, design):
            for round_ in range(n * switches, (n + 1) * switches):
                branch, commit = ("other", other) if round_ % 2 == 0 else (start, main)
                began = time.perf_counter()
                with git.Repo(path) as repo:
                    repo.git.checkout("-q", branch)
                while True:
                    now = workspace.catalog.find_repo(record.repo_id)
                    if now.commit == commit and now.state == RepoState.READY:
                        break
                    time.sleep(0.01)
                timed.append((design, time.perf_counter() - began))
                time.sleep(0.5)
    return {"files": record.files, "changed_files": min(changed, len(modules)), **by_design(timed)}


def _memory(process) -> dict:
    memory = process.memory_full_info()
    return {"rss_mb": round(memory.rss / 2**20, 1), "uss_mb": round(memory.uss / 2**20, 1)}


def _watcher_cost(process, idle: float) -> dict:
    """The watch's CPU over ``idle`` seconds and its memory; its update child's memory beside, while it runs."""
    import psutil

    watcher = psutil.Process(process.pid)
    before = watcher.cpu_times()
    time.sleep(idle)
    after = watcher.cpu_times()
    used = (after.user - before.user) + (after.system - before.system)
    figures = {"cpu_percent_of_one_core": round(100 * used / idle, 2), **_memory(watcher),
               "load": round(os.getloadavg()[0], 1)}
    children = watcher.children()
    if children:
        figures["update child"] = _memory(children[0])
    return figures


def idle_cost(work: Path, repos: int, idle: float) -> dict:
    import psutil

    from pharos_desktop.engine.ingest import Ingestor
    from pharos_desktop.engine.run.task import Task
    from pharos_desktop.engine.states import JobKind
    from pharos_desktop.engine.workspace import Workspace
    from pharos_desktop.tools.sample_repos import make_many_file_repo, write_file

    workspace = Workspace()
    paths = [make_many_file_repo(work / f"repo{n}", 40) for n in range(repos)]
    for path in paths:
        Ingestor(workspace).ingest(str(path), task=Task(JobKind.INGEST))
    process = subprocess.Popen([sys.executable, "-m", "pharos_desktop", "watch", *map(str, paths)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True).start()

    def wait_for(words: str, count: int) -> None:
        while sum(words in line for line in lines) < count:
            assert process.poll() is None, "".join(lines)
            time.sleep(0.2)

    try:
        wait_for("up to date with", repos)  # each repository looked at once
        time.sleep(3)
        quiet = _watcher_cost(process, idle)
        write_file(paths[0], "pkg/part_0/mod_000.py", function("edited_once"))
        wait_for("updated in", 1)
        time.sleep(3)
        after_update = _watcher_cost(process, idle)
        watcher = psutil.Process(process.pid)
        while watcher.children():  # the update child is let go once idle for LINGER_SECONDS
            time.sleep(1)
        let_go = _watcher_cost(process, idle)
    finally:
        process.terminate()
        process.wait(60)
    return {"repos": repos, "idle_s": idle, "nothing changed since start": quiet,
            "after one update, its child kept": after_update, "after the update child was let go": let_go}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--switch-files", type=int, default=100)
    parser.add_argument("--switches", type=int, default=7)
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--idle", type=float, default=30)
    parser.add_argument("--codebase", type=Path, help="real code instead of generated modules (parts 1 and 2)")
    parser.add_argument("--designs", default="child", help="who runs the updates of parts 1 and 2, in turn: child, "
                                                            "per-update, in-process (comma-separated)")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run")
    args = parser.parse_args()
    designs = args.designs.split(",")
    parts = args.parts.split(",")
    with tempfile.TemporaryDirectory(prefix="pharos-bench-live-") as work:
        if "1" in parts:
            os.environ["PHAROS_HOME"] = str(Path(work) / "home-edit")
            print("edit to searchable:", edit_to_searchable(Path(work), args.files, args.edits, designs, args.codebase),
                  flush=True)
        if "2" in parts:
            os.environ["PHAROS_HOME"] = str(Path(work) / "home-switch")
            print("branch switch to searchable:", branch_switch(Path(work), args.files, args.switch_files,
                                                                 args.switches, designs, args.codebase), flush=True)
        if "3" in parts and args.repos:  # --repos 0: only the first two parts
            os.environ["PHAROS_HOME"] = str(Path(work) / "home-idle")
            print("watching, idle:", idle_cost(Path(work), args.repos, args.idle), flush=True)


if __name__ == "__main__":
    main()
