"""The Map tab on a real repository: GitPython's own sources, ingested for real, drawn offscreen in the real window,
and checked against the catalog: its nodes, a click on a file, the search as you type, a symbol's callers and
callees, and a large repository folded to its folders."""

from __future__ import annotations

import posixpath

import pytest
from PySide6.QtCore import Qt

from pharos_desktop.engine.graph import references
from pharos_desktop.engine.graph import layout
from pharos_desktop.tools.sample_repos import make_package_repo
from pharos_desktop.ui.map_panel import PLACES_AT_ONCE
from pharos_desktop.ui.map_view import MATCH, SELECTED

from .cli_support import cli
from .ui_support import close_window, open_window

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gitpython_home(tmp_path_factory, model_cache):
    """A data folder holding GitPython's sources (about 40 files in 6 folders), ingested once for the module."""
    root = tmp_path_factory.mktemp("map")
    repo = make_package_repo(root / "gitpython", "git")
    home = root / "home"
    done = cli("ingest", str(repo), home=home, env={"PHAROS_MODEL_CACHE": str(model_cache)}, timeout=1200)
    assert done.returncode == 0, done.stderr
    return home


@pytest.fixture
def window(qtbot, gitpython_home, monkeypatch, tmp_path):
    monkeypatch.setenv("PHAROS_HOME", str(gitpython_home))  # the model cache stays the run's (conftest.pharos_home)
    window = open_window(qtbot, tmp_path)
    yield window
    close_window(qtbot, window)


def open_map(qtbot, window):
    qtbot.waitUntil(lambda: window.repo_list.selected_repo() is not None, timeout=20_000)
    window.tabs.setCurrentWidget(window.map)
    qtbot.waitUntil(lambda: window.map.view.complete, timeout=60_000)
    return window.map


def test_the_map_draws_every_indexed_file_and_a_double_click_opens_its_code(qtbot, window):
    panel = open_map(qtbot, window)
    catalog, repo = window.workspace.catalog, window.repo_list.selected_repo()
    indexed = {f.path: f for f in catalog.files(repo.repo_id, indexed_only=True)}
    repo_map = panel.view.map
    assert not repo_map.folded and 30 < len(indexed) <= 150
    assert {n.id: n.chunks for n in repo_map.nodes} == {p: f.chunk_count for p, f in indexed.items()}
    assert set(panel.view.shapes) == set(indexed)
    assert {c.folder for c in repo_map.clusters} == {posixpath.dirname(p) for p in indexed}
    assert repo_map.languages == {"python": len(indexed)} and f"python ({len(indexed)})" in panel.legend.text()
    assert ("git/repo/base.py", "git/config.py") in {(s, t) for s, t, _n in repo_map.edges}

    target = "git/remote.py"
    point = panel.view.view_point(target)
    assert panel.view.viewport().rect().contains(point)
    qtbot.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: window.code_view.loaded is not None and window.code_view.loaded.path == target,
                    timeout=20_000)
    assert window.tabs.currentWidget() is window.code_view
    assert window.file_tree.selected_path() == target


def test_search_as_you_type_highlights_the_files_it_names(qtbot, window):
    panel = open_map(qtbot, window)
    qtbot.keyClicks(panel.search, "refs/")
    qtbot.waitUntil(lambda: bool(panel.view.highlighted), timeout=5000)
    expected = {p for p in panel.view.shapes if "refs/" in p}
    assert panel.view.highlighted == expected and "git/refs/symbolic.py" in expected and "git/remote.py" not in expected
    assert all(panel.view.shapes[p].opacity() == 1.0 for p in expected)
    assert all(panel.view.shapes[p].opacity() < 0.5 for p in panel.view.shapes if p not in expected)
    assert all(panel.view.labels[p].isVisible() for p in expected)

    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=panel.view.view_point("git/remote.py"))
    qtbot.waitUntil(lambda: panel.view.selected == "git/remote.py", timeout=5000)
    assert panel.view.shapes["git/remote.py"].pen().color() == SELECTED  # ringed, though the search leaves it out
    assert all(panel.view.shapes[p].pen().color() == MATCH for p in expected)
    assert all(panel.view.shapes[p].opacity() < 0.5 for p in panel.view.shapes if p not in expected)

    before = panel.view.map
    panel.refresh()  # a new map asked for, and the search changed while it is made
    panel.search.setText("git/remote")
    qtbot.waitUntil(lambda: panel.view.complete and panel.view.map is not before, timeout=60_000)
    qtbot.waitUntil(lambda: panel.view.highlighted == {"git/remote.py"}, timeout=5000)
    assert [p for p in panel.view.shapes if panel.view.shapes[p].opacity() == 1.0] == ["git/remote.py"]
    panel.search.clear()
    qtbot.waitUntil(lambda: not panel.view.highlighted, timeout=5000)
    assert all(item.opacity() == 1.0 for item in panel.view.shapes.values())


def test_a_symbols_callers_and_callees_are_the_catalogs_references(qtbot, window):
    panel = open_map(qtbot, window)
    catalog, repo = window.workspace.catalog, window.repo_list.selected_repo()
    path, symbol = "git/util.py", "join_path"
    point = panel.view.view_point(path)
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: panel.related is not None and panel.symbols.count() > 1, timeout=30_000)
    assert panel.view.selected == path and window.tabs.currentWidget() is panel  # a click selects, and stays here
    assert panel.view.shapes[path].pen().color() == SELECTED and panel.view._edges_selected.path().elementCount() > 0
    importers = {p.path for p in panel.related.importers}
    assert "git/repo/base.py" in importers and "git/util.py" not in importers
    callers_of_file = panel.related.callers
    assert len(callers_of_file) > PLACES_AT_ONCE  # listed over several turns of the event loop, every one in the end
    qtbot.waitUntil(lambda: panel.ties.topLevelItem(2).childCount() == len(callers_of_file), timeout=5000)
    listed = [panel.ties.topLevelItem(2).child(n).data(0, Qt.ItemDataRole.UserRole)
              for n in range(len(callers_of_file))]
    assert listed == [(p.path, p.line) for p in callers_of_file]

    panel.select_symbol(symbol)
    qtbot.waitUntil(lambda: panel.related.symbol == symbol, timeout=30_000)
    refs = references(catalog, repo)
    callers = {(r.path, r.symbol, r.confidence) for r in refs
               if (r.target_path, r.target_symbol) == (path, symbol) and (r.path, r.symbol) != (path, symbol)}
    callees = {(r.target_path, r.target_symbol, r.confidence) for r in refs
               if (r.path, r.symbol) == (path, symbol) and (r.target_path, r.target_symbol) != (path, symbol)}
    assert callers and {(p.path, p.symbol, p.confidence) for p in panel.related.callers} == callers
    assert {(p.path, p.symbol, p.confidence) for p in panel.related.callees} == callees
    shown = panel.ties.topLevelItem(2)
    assert shown.text(0) == f"Callers of {symbol} ({len(callers)})"
    qtbot.waitUntil(lambda: shown.childCount() == len(callers), timeout=5000)

    first = shown.child(0)
    where, line = first.data(0, Qt.ItemDataRole.UserRole)
    panel.ties.itemActivated.emit(first, 0)  # double-click or Enter on it
    qtbot.waitUntil(lambda: window.code_view.loaded is not None and window.code_view.loaded.path == where,
                    timeout=20_000)
    assert window.tabs.currentWidget() is window.code_view and line > 1


def test_a_large_repository_opens_folded_to_folders_and_a_click_opens_one(qtbot, window, monkeypatch):
    monkeypatch.setattr(layout, "FOLD_ABOVE", 10)
    panel = open_map(qtbot, window)
    repo_map = panel.view.map
    indexed = [f.path for f in window.workspace.catalog.files(repo_map.repo_id, indexed_only=True)]
    folders = {posixpath.dirname(p) for p in indexed}
    assert repo_map.folded and {n.id for n in repo_map.nodes} == {f + "/" for f in folders}
    assert {n.id: len(n.files) for n in repo_map.nodes}["git/refs/"] == len([p for p in indexed if "/refs/" in p])

    qtbot.keyClicks(panel.search, "symbolic")
    qtbot.waitUntil(lambda: panel.view.highlighted == {"git/refs/"}, timeout=5000)  # its folder, while folded

    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=panel.view.view_point("git/refs/"))
    qtbot.waitUntil(lambda: panel.view.complete and panel.view.map is not repo_map, timeout=60_000)
    opened = {n.id for n in panel.view.map.nodes}
    assert opened == ({f + "/" for f in folders} - {"git/refs/"}) | {p for p in indexed if p.startswith("git/refs/")}
    assert panel.view.highlighted == {"git/refs/symbolic.py"}  # the search still applies, now to the file
    assert panel.view.shapes["git/refs/symbolic.py"].pen().color() == MATCH
    assert all(item.opacity() < 0.5 for p, item in panel.view.shapes.items() if p != "git/refs/symbolic.py")
    panel.fold_button.click()
    qtbot.waitUntil(lambda: panel.view.complete and "git/refs/" in panel.view.shapes, timeout=60_000)
