"""The window's maps are laid out in a child process (engine/graph/layout_process.py): the same map as one made
here; a child killed by a real signal gives one clear line and the next map a new child; closing ends it."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys

import pytest

from pharos_desktop.engine.errors import PharosError
from pharos_desktop.engine.graph import layout
from pharos_desktop.engine.graph.layout_process import LayoutProcess

from .graph_samples import SAMPLES
from .test_graph import ingest, make_repo


@pytest.fixture
def sample(workspace, tmp_path):
    files, _expected = SAMPLES["python"]
    repo, _ = ingest(workspace, make_repo(tmp_path / "py", files))
    maker = LayoutProcess(workspace.catalog.path)
    yield workspace, repo, maker
    maker.close()


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
    assert str(failed.value) == ("the process that lays out the map stopped unexpectedly; "
                                 "open the repository's map again to retry")
    assert positions(maker.build_map(repo)) == positions(layout.build_map(workspace.catalog, repo))

    (child,) = multiprocessing.active_children()  # closing (the window's) ends the child
    maker.close()
    child.join(10)
    assert not child.is_alive() and multiprocessing.active_children() == []
    with pytest.raises(PharosError, match="the window is closing"):
        maker.build_map(repo)


PARENT = """
import sys
from pathlib import Path
from pharos_desktop.engine.graph.layout_process import LayoutProcess
from pharos_desktop.engine.index.catalog import Catalog
catalog = Catalog(Path(sys.argv[1]))
maker = LayoutProcess(catalog.path)
maker.build_map(catalog.get_repo(sys.argv[2]))
print(*maker._children, flush=True)
sys.stdin.read()  # until the test kills this process
"""


def test_the_child_runs_below_normal_priority_and_ends_with_a_killed_parent(sample):
    psutil = pytest.importorskip("psutil")
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
