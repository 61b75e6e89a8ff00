"""The window's maps and ties are made in a child process (engine/graph/process.py): the same map and ties as
made here; a child killed by a real signal gives one clear line and the next call a new child; closing ends it."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from pharos_desktop.engine.errors import PharosError, UsageError
from pharos_desktop.engine.graph import layout
from pharos_desktop.engine.graph.process import GraphProcess
from pharos_desktop.engine.graph.related import related
from pharos_desktop.tools.sample_repos import add_commit

from .graph_samples import SAMPLES
from .test_graph import ingest, make_repo


@pytest.fixture
def sample(workspace, tmp_path):
    files, _expected = SAMPLES["python"]
    repo, _ = ingest(workspace, make_repo(tmp_path / "py", files))
    maker = GraphProcess(workspace.catalog.path)
    yield workspace, repo, maker
    maker.close()


def ends(pid: int, seconds: float) -> bool:
    """Whether the process ``pid`` is gone, reaped (not left a zombie), within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid):
            return True
        time.sleep(0.05)
    return False


def positions(repo_map):
    return {n.id: (n.kind, round(n.x, 6), round(n.y, 6)) for n in repo_map.nodes}, repo_map.edges


def test_the_child_makes_the_map_this_process_would(sample, monkeypatch):
    workspace, repo, maker = sample
    here = layout.build_map(workspace.catalog, repo)
    assert positions(maker.build_map(repo)) == positions(here)
    (child,) = multiprocessing.active_children()
    assert child.pid != os.getpid()

    monkeypatch.setattr(layout, "FOLD_ABOVE", 2)  # as the window's tests fold a small repository: in force there too
    folded = maker.build_map(repo, frozenset({"pkg"}))
    assert positions(folded) == positions(layout.build_map(workspace.catalog, repo, frozenset({"pkg"})))
    assert folded.folded and {n.kind for n in folded.nodes} == {"file", "folder"}


def test_a_killed_child_is_one_clear_line_the_next_map_starts_another_and_closing_ends_it(sample):
    workspace, repo, maker = sample
    maker.build_map(repo)
    (child,) = multiprocessing.active_children()
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    with pytest.raises(PharosError) as failed:
        maker.build_map(repo)
    assert str(failed.value) == ("the process that makes the map stopped unexpectedly; "
                                 "ask again (open the map, click the file) to start a new one")
    assert positions(maker.build_map(repo)) == positions(layout.build_map(workspace.catalog, repo))

    (child,) = multiprocessing.active_children()  # closing (the window's) ends the child
    maker.close()
    # Ended, as the system tells (is_alive() cannot tell where another thread's waitpid reaped it)
    assert ends(child.pid, 10)
    with pytest.raises(PharosError, match="the window is closing"):
        maker.build_map(repo)


def test_the_child_finds_the_ties_this_process_would_and_says_what_it_lacks_in_one_line(sample):
    workspace, repo, maker = sample
    files = sorted({f.path for f in workspace.catalog.files(repo.repo_id, indexed_only=True)})
    for path in files:
        assert maker.related(repo, path) == related(workspace.catalog, repo, path)
    tied = sorted({(path, symbol) for path, symbol, kind, _line, _deps in workspace.catalog.symbols(repo.repo_id)
                   if kind in ("function", "method", "class")})
    assert tied
    for path, symbol in tied:
        assert maker.related(repo, path, symbol) == related(workspace.catalog, repo, path, symbol)
    assert any(maker.related(repo, path, symbol).callers for path, symbol in tied)  # the sample has calls
    with pytest.raises(UsageError) as lacking:
        maker.related(repo, "no/such.py")
    assert str(lacking.value).startswith(f"{repo.name} has no indexed file 'no/such.py'")


def test_the_ties_the_child_keeps_follow_a_new_ingest(sample, tmp_path):
    workspace, repo, maker = sample
    assert {p.path for p in maker.related(repo, "pkg/util.py").importers} == \
        {p.path for p in related(workspace.catalog, repo, "pkg/util.py").importers}
    add_commit(tmp_path / "py", {"pkg/extra.py": "from .util import *\n\n\ndef more():\n    return 1\n"})
    repo, _ = ingest(workspace, tmp_path / "py")
    after = maker.related(repo, "pkg/util.py")
    assert "pkg/extra.py" in {p.path for p in after.importers}
    assert after == related(workspace.catalog, repo, "pkg/util.py")


PARENT = """
import sys
from pathlib import Path
from pharos_desktop.engine.graph.process import GraphProcess
from pharos_desktop.engine.graph.related import related
from pharos_desktop.engine.index.catalog import Catalog
catalog = Catalog(Path(sys.argv[1]))
maker = GraphProcess(catalog.path)
maker.build_map(catalog.get_repo(sys.argv[2]))
print(*maker._children, flush=True)
sys.stdin.read()  # until the test kills this process
"""


def test_the_child_runs_below_normal_priority_and_ends_with_a_killed_parent(sample):
    workspace, repo, _maker = sample
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(workspace.catalog.path), repo.name],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        child = psutil.Process(int(parent.stdout.readline()))
        if os.name != "nt":
            assert child.nice() > psutil.Process().nice()
        parent.kill()  # SIGKILL: nothing of the parent's runs
        parent.wait(10)
        child.wait(20)  # psutil.TimeoutExpired if the child outlives its parent
    finally:
        parent.kill()
        parent.wait(10)
