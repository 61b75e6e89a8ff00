"""The Map tab on a ~1,000-file repository: how long the layout takes, and how long the window stalls meanwhile.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.bench_map [--home DIR] [--package scipy] [--runs 3]

Builds once, in --home, a git repository of an installed package's sources (default scipy: 973 files in 99
folders, real code nobody here wrote) and ingests it with the command line. Then:

- layout: engine/graph/layout.build_map alone (catalog reads, the graph, networkx's spring_layout), folded to
  folders as the tab opens it, and with every folder opened (all files), median of --runs;
- window: the real main window, offscreen, with a 10 ms timer on the UI thread (bench/ui_gaps.py): the Map tab
  opened (until every item is drawn), the largest folder opened by a click, a search typed a key at a time, and
  every folder opened at once; for each, the wall time, the longest and p99 UI-thread gap and how many were over
  50 ms (target: none), the load average, and the longest single piece of the map's own work on the UI thread
  (a slice of items, the swap to the new scene, highlighting), which sets the gap on a machine with a core to
  spare. The map is laid out in a child process, as the window does (engine/graph/process.py).
  The window idle for 3 s first: the gaps the machine alone makes.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GAP_TARGET_MS = 50.0


def ensure_index(home: Path, package: str) -> None:
    if (home / "catalog.sqlite").exists():
        return
    from pharos_desktop.tools.sample_repos import make_package_repo

    repo = make_package_repo(home.parent / f"{package}-repo", package)
    env = dict(os.environ, PHAROS_HOME=str(home))
    subprocess.run([sys.executable, "-m", "pharos_desktop", "ingest", str(repo)], env=env, check=True)


def time_layout(workspace, repo, runs: int) -> dict:
    from pharos_desktop.engine.graph.layout import build_map

    result = {}
    folders = {f.path.rpartition("/")[0] for f in workspace.catalog.files(repo.repo_id, indexed_only=True)}
    for name, opened in (("folded", frozenset()), ("all files", frozenset(folders))):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            shown = build_map(workspace.catalog, repo, opened)
            times.append(time.perf_counter() - started)
        result[name] = {"seconds": round(statistics.median(times), 2), "nodes": len(shown.nodes),
                        "edges": len(shown.edges)}
    return result


def in_window(app, window) -> dict:
    from bench.ui_gaps import GapMeter

    panel = window.map
    steps = {}
    work: list[tuple[float, str]] = []  # ms and name of each piece of the map's own work on the UI thread

    def timed(function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                work.append(((time.perf_counter() - started) * 1000, function.__name__))
        return run

    view = panel.view
    for name in ("show_map", "_add_slice", "_swap", "_add_batch", "highlight"):  # _add_batch: the code before
        if hasattr(view, name):
            setattr(view, name, timed(getattr(view, name)))
    for name in ("_show_map", "_show_symbols", "_show_ties"):
        setattr(panel, name, timed(getattr(panel, name)))

    def measure(name: str, act, done) -> None:
        meter = GapMeter()
        work.clear()
        started = time.perf_counter()
        act()
        while not done():
            app.processEvents()
            time.sleep(0.001)  # like an idle event loop: wake for events and timers only
        seconds = time.perf_counter() - started
        load = os.getloadavg()[0]
        for _ in range(20):  # the paints that follow the last item
            app.processEvents()
            time.sleep(0.005)
        meter.stop()
        gaps = sorted(meter.gaps)
        steps[name] = {"seconds": round(seconds, 2), "max_gap_ms": round(gaps[-1] if gaps else 0.0, 1),
                       "p99_gap_ms": round(gaps[int(len(gaps) * 0.99)] if gaps else 0.0, 1),
                       "over_target": sum(gap > GAP_TARGET_MS for gap in gaps),
                       "nodes": len(panel.view.shapes), "load": load,
                       "longest_work_ms": round(max(work, default=(0.0, ""))[0], 1),
                       "longest_work": max(work, default=(0.0, ""))[1]}

    idle_until = time.perf_counter() + 3
    measure("the window idle, 3 s (the machine's own share of the gaps)", lambda: None,
            lambda: time.perf_counter() > idle_until)
    drawn = lambda previous: lambda: panel.view.complete and panel.view.map is not previous  # noqa: E731
    measure("open the Map tab (folded)", lambda: window.tabs.setCurrentWidget(panel), drawn(None))
    largest = max((n for n in panel.view.map.nodes if n.kind == "folder"), key=lambda n: len(n.files))
    before = panel.view.map
    measure(f"open the largest folder ({largest.id}, {len(largest.files)} files)",
            lambda: panel.open_folder(largest.folder), drawn(before))

    def type_search() -> None:
        for n in range(1, len("linalg") + 1):
            panel.search.setText("linalg"[:n])
            for _ in range(5):
                app.processEvents()
                time.sleep(0.01)
    measure("type a search (linalg)", type_search, lambda: bool(panel.view.highlighted))
    before = panel.view.map
    every = {n.folder for n in before.nodes}

    def open_all() -> None:
        panel.opened |= every
        panel.refresh()
    measure("open every folder (all files)", open_all, drawn(before))

    # the file most used through imports, and its symbol most used: the longest lists of ties a click shows
    from pharos_desktop.engine.graph import IMPORTED, references

    used = Counter((r.target_path, r.target_symbol) for r in references(window.workspace.catalog, panel.repo)
                   if r.confidence == IMPORTED)
    (path, symbol), uses = used.most_common(1)[0]
    del used
    gc.collect()  # what finding them made is gone before the steps are measured
    measure(f"click a file ({path})", lambda: panel.select_file(path),
            lambda: panel.related is not None and panel.related.path == path and panel.symbols.count() > 1)
    measure(f"choose its symbol ({symbol}, {uses} uses through imports)", lambda: panel.select_symbol(symbol),
            lambda: panel.related.symbol == symbol)
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=Path(tempfile.gettempdir()) / "pharos-bench-map" / "home")
    parser.add_argument("--package", default="scipy")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_index(args.home, args.package)
    os.environ["PHAROS_HOME"] = str(args.home)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from pharos_desktop.engine.workspace import Workspace
    from pharos_desktop.ui.app import make_application
    from pharos_desktop.ui.main_window import MainWindow

    workspace = Workspace()
    repo = workspace.catalog.list_repos()[0]
    print(f"{repo.name}: {repo.files} files, {repo.chunks} chunks; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    app = make_application(sys.argv[:1])
    window = MainWindow(workspace, QSettings(str(args.home.parent / "bench-map-app.ini"), QSettings.Format.IniFormat))
    window.following.enabled = False  # the map alone: no watch of the 972 files starting meanwhile (as the tests)
    window.resize(1440, 900)
    window.show()
    app.processEvents()
    while window.repo_list.selected_repo() is None:  # _startup has run (the repositories listed)
        app.processEvents()
        time.sleep(0.01)
    for name, figures in in_window(app, window).items():
        print(f"window, {name}: {figures['seconds']} s, {figures['nodes']} nodes drawn; UI gaps: longest "
              f"{figures['max_gap_ms']} ms, p99 {figures['p99_gap_ms']} ms, {figures['over_target']} over "
              f"{GAP_TARGET_MS:.0f} ms (target: none); load {figures['load']:.1f}; "
              f"the map's longest piece of work on the UI thread {figures['longest_work_ms']} ms "
              f"({figures['longest_work'] or 'none'})")
    window.close()
    # after the window's steps: the window's process never lays out a map itself, and the layouts' imports and
    # objects made here would otherwise sit in the process whose UI thread is measured
    for name, figures in time_layout(workspace, repo, args.runs).items():
        print(f"layout, {name}: {figures['seconds']} s (median of {args.runs}), {figures['nodes']} nodes, "
              f"{figures['edges']} edges")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # as bench_ui.py: no interpreter teardown of Qt objects
