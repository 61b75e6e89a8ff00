"""The live index through real parts: a real folder and real git, the OS's real file events (watchdog), the
real ingest and search; `watch` as a real process stopped by real signals."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import namedtuple
from contextlib import contextmanager
from pathlib import Path

import git
import psutil
import pytest

from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.live import manners
from pharos_desktop.engine.live.status import repo_status
from pharos_desktop.engine.live.watcher import LiveIndex
from pharos_desktop.engine.query.search import Searcher
from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.settings import Settings
from pharos_desktop.engine.source import parse_source
from pharos_desktop.engine.index.catalog import RepoRecord
from pharos_desktop.engine.states import IndexedTree, JobKind, RepoState
from pharos_desktop.tools.sample_repos import add_commit, commit_all, init_repo, make_many_file_repo, write_file

from .cli_support import query, start_cli, wait_until


def function(name: str, body: str = "return 1") -> str:
    return f'def {name}(value):\n    """{name.replace("_", " ")}."""\n    {body}\n'


def make_repo(path: Path) -> Path:
    init_repo(path)
    write_file(path, ".gitignore", "build_out/\n")
    write_file(path, "src/alpha.py", function("alpha_parser"))
    write_file(path, "src/beta.py", function("beta_renderer"))
    commit_all(path, "first")
    return path


def ingested(workspace, path: Path):
    Ingestor(workspace).ingest(str(path), task=Task(JobKind.INGEST))
    return workspace.catalog.find_repo(parse_source(str(path)).repo_id)


def symbols(workspace, repo) -> dict[str, str]:
    rows = workspace.catalog.read("SELECT symbol, path FROM chunks WHERE repo_id = ?", (repo.repo_id,))
    return {row[0]: row[1] for row in rows}


def finished(workspace, repo):
    """The repository as its last finished update left it (its commit is written when an update begins)."""
    now = workspace.catalog.find_repo(repo.repo_id)
    return now if now.state == RepoState.READY else RepoRecord(repo.repo_id, "", "", "")


def ingests(workspace) -> int:
    return workspace.catalog.read("SELECT COUNT(*) FROM jobs WHERE kind = 'ingest'").fetchone()[0]


@contextmanager
def watching(workspace, repo):
    lines: list[str] = []
    cancel = CancelToken()
    live = LiveIndex(workspace, [repo], cancel=cancel, report=lambda name, line: lines.append(line))
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    wait_until(lambda: lines, "the catch-up update at the start")
    try:
        yield live, lines
    finally:
        cancel.cancel()
        thread.join(30)
        assert not thread.is_alive()


def settled(live: LiveIndex, quiet: float = 2.0) -> None:
    """Wait until the watcher has had nothing gathered for ``quiet`` seconds in a row."""
    since = time.monotonic()
    deadline = since + 120
    while time.monotonic() - since < quiet:
        if any(watched.first for watched in live.watched):
            since = time.monotonic()
        assert time.monotonic() < deadline, "the watcher never settled"
        time.sleep(0.05)


def test_edits_creates_renames_and_deletes_become_searchable(workspace, tmp_path):
    path = make_repo(tmp_path / "repo")
    repo = ingested(workspace, path)
    with watching(workspace, repo):
        write_file(path, "src/gamma.py", function("gamma_tokenizer"))  # created
        wait_until(lambda: "gamma_tokenizer" in symbols(workspace, repo), "a new file's symbol")
        write_file(path, "src/alpha.py", function("alpha_lexer"))  # edited: one symbol for another
        wait_until(lambda: "alpha_lexer" in symbols(workspace, repo), "an edited file's new symbol")
        assert "alpha_parser" not in symbols(workspace, repo)
        os.rename(path / "src/beta.py", path / "src/renamed.py")
        wait_until(lambda: symbols(workspace, repo).get("beta_renderer") == "src/renamed.py", "a renamed file")
        (path / "src/gamma.py").unlink()
        wait_until(lambda: "gamma_tokenizer" not in symbols(workspace, repo), "a deleted file's symbol to go")
    hits = Searcher(workspace).search("alpha lexer", limit=5)
    assert hits and hits[0].symbol == "alpha_lexer"
    assert all(hit.symbol != "gamma_tokenizer" for hit in Searcher(workspace).search("gamma tokenizer", limit=20))
    now = workspace.catalog.find_repo(repo.repo_id)
    assert now.tree == IndexedTree.WORKING_TREE  # the edits are not committed: the index says so
    assert repo_status(workspace, now) == f"up to date with {now.commit[:10]} + uncommitted changes, checked just now"


def test_a_branch_switch_and_a_commit_are_followed(workspace, tmp_path):
    path = make_repo(tmp_path / "repo")
    main = add_commit(path, {}, "main")
    with git.Repo(path) as git_repo:
        git_repo.git.checkout("-q", "-b", "feature")
    feature = add_commit(path, {"src/alpha.py": None, "src/feature.py": function("feature_switch")}, "feature")
    with git.Repo(path) as git_repo:
        git_repo.git.checkout("-q", "main")
    repo = ingested(workspace, path)
    assert repo.commit == main and repo.tree == IndexedTree.COMMIT
    with watching(workspace, repo):
        with git.Repo(path) as git_repo:
            git_repo.git.checkout("-q", "feature")
        wait_until(lambda: finished(workspace, repo).commit == feature, "the index to follow HEAD")
        assert "feature_switch" in symbols(workspace, repo) and "alpha_parser" not in symbols(workspace, repo)
        # A commit moves HEAD and changes no file: the index records the new commit, and a clean tree.
        write_file(path, "src/feature.py", function("feature_switch", "return 2"))
        wait_until(lambda: finished(workspace, repo).tree == IndexedTree.WORKING_TREE, "the edit")
        committed = commit_all(path, "commit the edit")
        wait_until(lambda: finished(workspace, repo).commit == committed, "the commit")
    now = workspace.catalog.find_repo(repo.repo_id)
    assert now.tree == IndexedTree.COMMIT
    assert repo_status(workspace, now).startswith(f"up to date with {committed[:10]}, checked")


def test_the_start_updates_only_an_index_behind_its_folder(workspace, tmp_path):
    path = make_repo(tmp_path / "repo")
    repo = ingested(workspace, path)
    before = ingests(workspace)
    with watching(workspace, repo) as (_, lines):  # current: one look, no update
        assert lines == [repo_status(workspace, workspace.catalog.find_repo(repo.repo_id))]
    assert ingests(workspace) == before
    write_file(path, "src/beta.py", function("beta_while_away"))  # changed while nobody watched
    with watching(workspace, repo):
        wait_until(lambda: "beta_while_away" in symbols(workspace, repo), "the catch-up update")
    assert ingests(workspace) == before + 1


def test_a_folder_that_cannot_be_watched_is_said_and_the_others_are_followed(workspace, tmp_path):
    path = make_repo(tmp_path / "repo")
    repo = ingested(workspace, path)
    gone = RepoRecord("gone-id", "gone", str(tmp_path / "gone"), "local", checkout_path=str(tmp_path / "gone"))
    lines: list[tuple[str, str]] = []
    cancel = CancelToken()
    live = LiveIndex(workspace, [gone, repo], cancel=cancel, report=lambda name, line: lines.append((name, line)))
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: any(name == repo.name for name, _ in lines), "the followed folder's first look")
        assert lines[0] == ("gone", f"check failed: cannot watch {tmp_path / 'gone'}: No such file or directory")
        write_file(path, "src/beta.py", function("beta_beside_a_lost_folder"))
        wait_until(lambda: "beta_beside_a_lost_folder" in symbols(workspace, repo), "the edit, followed")
    finally:
        cancel.cancel()
        thread.join(30)
    assert not thread.is_alive()


def test_ten_thousand_events_in_ignored_folders_cause_no_ingest(workspace, tmp_path):
    path = make_repo(tmp_path / "repo")
    repo = ingested(workspace, path)
    with watching(workspace, repo) as (live, _):
        settled(live)
        before = ingests(workspace)
        for folder in ("node_modules/dep", "build_out/objects", "target/debug"):  # skip rule, .gitignore, skip rule
            (path / folder).mkdir(parents=True)
        for n in range(3400):  # three events each (created, modified, closed): over 10,000 file events
            for folder in ("node_modules/dep", "build_out/objects", "target/debug"):
                (path / folder / f"f{n}.py").write_text(f"x = {n}\n")
        settled(live)
        assert ingests(workspace) == before
        write_file(path, "src/beta.py", function("beta_painter"))  # the watcher is alive: a real change is read
        wait_until(lambda: "beta_painter" in symbols(workspace, repo), "a real edit after the churn")
    assert ingests(workspace) == before + 1


def test_pause_holds_automatic_work_back_until_resumed(workspace, tmp_path):
    path = make_repo(tmp_path / "repo")
    repo = ingested(workspace, path)
    with watching(workspace, repo) as (live, lines):
        settled(live)
        before = ingests(workspace)
        settings = Settings.load()
        settings.live_paused = True
        settings.save()
        write_file(path, "src/alpha.py", function("alpha_waiting"))
        wait_until(lambda: "paused: changes wait" in lines, "the watcher to say it waits")
        time.sleep(3)  # long enough for an update to have run, had the switch not held it
        assert ingests(workspace) == before and "alpha_waiting" not in symbols(workspace, repo)
        assert repo_status(workspace, workspace.catalog.find_repo(repo.repo_id), Settings.load()) == \
            "paused (behind by 1 changed file)"
        settings.live_paused = False
        settings.save()
        wait_until(lambda: "alpha_waiting" in symbols(workspace, repo), "the held change after resuming")
    assert "resumed" in lines


def test_on_battery_automatic_work_waits_unless_allowed(monkeypatch):
    # The one part that cannot run here: a battery. psutil's answer is what is replaced.
    discharging = namedtuple("Battery", "percent secsleft power_plugged")(40, 3600, False)
    monkeypatch.setattr(psutil, "sensors_battery", lambda: discharging)
    assert manners.held_back(Settings()) == "on battery"
    assert manners.held_back(Settings(live_on_battery=True)) == ""
    monkeypatch.setattr(psutil, "sensors_battery", lambda: None)  # a desktop: no battery
    assert manners.held_back(Settings()) == ""


def test_a_repository_with_no_indexed_file_never_says_up_to_date(workspace, tmp_path):
    path = tmp_path / "empty"
    init_repo(path)
    write_file(path, "package-lock.json", "{}")
    commit_all(path, "only a lock file")
    repo = ingested(workspace, path)
    assert repo.files == 0
    assert repo_status(workspace, repo) == "no file indexed (1 skipped)"


def watch_process(home: Path, *repos: str):
    """`pharos-desktop watch` as a process, and the lines it has written to stderr so far."""
    process = start_cli("watch", *repos, home=home,
                        extra={"PHAROS_MODEL_CACHE": os.environ["PHAROS_MODEL_CACHE"], "PHAROS_BATCH_SIZE": "4"})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    reader.start()
    process.lines, process.reader = lines, reader
    return process


def ended(process) -> str:
    """Wait for a watch process to end; all it wrote to stderr."""
    process.wait(timeout=60)
    process.reader.join(10)
    return "".join(process.lines)


def reported(process, words: str) -> bool:
    return any(words in line for line in process.lines)


def test_watch_stops_cleanly_on_sigterm(workspace, pharos_home, tmp_path):
    path = make_repo(tmp_path / "repo")
    ingested(workspace, path)
    process = watch_process(pharos_home, str(path))
    wait_until(lambda: reported(process, "repo: up to date with"), "the catch-up look")
    os.killpg(process.pid, signal.SIGTERM)
    stderr = ended(process)
    assert process.returncode == 0, stderr
    assert query(pharos_home, "SELECT COUNT(*) FROM jobs") == [(1,)]  # a current index: no update at the start
    assert stderr.startswith("watching 1 folder: repo") and stderr.rstrip().endswith("stopped watching")


def test_kill_9_during_an_update_leaves_an_index_the_next_update_finishes(workspace, pharos_home, tmp_path):
    path = make_many_file_repo(tmp_path / "many", 300)
    repo = ingested(workspace, path)
    process = watch_process(pharos_home, str(path))
    wait_until(lambda: reported(process, "up to date with"), "the catch-up look")
    for n in range(300):
        write_file(path, f"pkg/part_{n // 40}/mod_{n:03d}.py", function(f"renamed_{n}"))
    wait_until(lambda: query(pharos_home, "SELECT COUNT(*) FROM chunks WHERE symbol LIKE 'renamed_%'")[0][0] > 0,
               "the update to store its first files")
    os.killpg(process.pid, signal.SIGKILL)
    ended(process)
    stored = query(pharos_home, "SELECT COUNT(*) FROM chunks WHERE symbol LIKE 'renamed_%'")[0][0]
    assert stored < 300  # it was stopped part way
    process = watch_process(pharos_home, str(path))  # the next start catches up with what was left
    wait_until(lambda: query(pharos_home, "SELECT state FROM repos") == [("ready",)]
               and query(pharos_home, "SELECT COUNT(*) FROM chunks WHERE symbol LIKE 'renamed_%'")[0][0] == 300,
               "the next update to finish")
    os.killpg(process.pid, signal.SIGTERM)
    ended(process)
    assert query(pharos_home, "SELECT COUNT(*) FROM chunks WHERE symbol LIKE 'scale_%'") == [(0,)]
    hits = Searcher(workspace).search("renamed 7", limit=5)
    assert any(hit.symbol == "renamed_7" for hit in hits)
    assert repo_status(workspace, workspace.catalog.find_repo(repo.repo_id)).startswith("up to date with")


@pytest.mark.slow
def test_sync_after_each_update_publishes_a_watched_edit_to_the_real_cloud(workspace, tmp_path, real_cloud,
                                                                           monkeypatch):
    monkeypatch.setenv("PHAROS_TOKEN", real_cloud.token)
    workspace.settings.api_url = real_cloud.api_url
    path = make_repo(tmp_path / "repo")
    repo = ingested(workspace, path)
    settings = Settings.load()
    settings.live_sync_after = True
    settings.save()
    with watching(workspace, repo) as (_, lines):
        write_file(path, "src/gamma.py", function("gamma_tokenizer"))
        wait_until(lambda: any(line.startswith("synced: ") for line in lines), "the update to be published")
    assert "src/gamma.py" in {row["identifier"] for row in real_cloud.resources()}
