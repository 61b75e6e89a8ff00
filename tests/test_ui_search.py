"""The window's search results and file tree as a person reads them (pytest-qt, offscreen, real catalog):
relevance and reasons per hit, tests/docs/examples marked and hidden on demand, and file names that
fit the tree at the window's default size."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from pharos_desktop.engine.index.catalog import ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.workspace import Workspace
from pharos_desktop.ui.search_panel import SearchPanel
from pharos_desktop.ui.threads import Threads



FILES = {
    "src/flask/config.py": ("Config.from_pyfile", "def from_pyfile(self, filename): load the config file"),
    "tests/test_config.py": ("test_config_from_pyfile", "def test_config_from_pyfile(): app.config.from_pyfile(f)"),
    "docs/config.rst": ("Configuration > Config files", "Load the config file with from_pyfile."),
    "examples/tutorial/app.py": ("create_app", "def create_app(): app.config.from_pyfile('config.py')"),
}


@pytest.fixture
def panel(qtbot, pharos_home):
    workspace = Workspace(pharos_home)
    workspace.catalog.upsert_repo(RepoRecord("r1", "flask", "/src/flask", "local"))
    for n, (path, (symbol, code)) in enumerate(FILES.items()):
        kind = "section" if path.endswith(".rst") else "function"
        record = ChunkRecord(f"c{n}", "r1", path, 0, kind, symbol, "python", 1, 5, "", f"[python] {code}", [],
                             code, code)
        workspace.catalog.replace_file("r1", FileRecord(path, "python", 10, 1, path), [record])
    threads = Threads()
    panel = SearchPanel(workspace, threads)
    panel.mode = "keyword"  # the same panel and worker path, without loading the model
    qtbot.addWidget(panel)
    panel.show()
    yield panel
    threads.shutdown()
    threads.reads.shutdown(wait=True)
    workspace.catalog.close()


def test_results_show_relevance_reasons_and_mark_tests_docs_examples(qtbot, panel):
    qtbot.keyClicks(panel.query, "from_pyfile config")
    qtbot.waitUntil(lambda: len(panel.hits) == 4, timeout=10_000)
    rows = [panel.results.topLevelItem(i) for i in range(panel.results.topLevelItemCount())]
    assert [panel.results.headerItem().text(c) for c in range(4)] == ["Symbol", "Path", "Lines", "Relevance"]
    assert rows[0].text(0) == "Config.from_pyfile" and "name" in rows[0].text(4)
    assert all(0 < int(row.text(3)) <= 100 for row in rows)
    assert "keywords: #" in rows[0].toolTip(3) and "matched words" in rows[0].toolTip(3)
    marked = {row.text(0) for row in rows if row.text(0).endswith("]")}
    assert marked == {"test_config_from_pyfile  [test]", "Configuration > Config files  [docs]",
                      "create_app  [example]"}

    panel.hide_side.setChecked(True)  # no new search: the same results, filtered
    assert [hit.symbol for hit in panel.hits] == ["Config.from_pyfile"]
    assert panel.results.topLevelItemCount() == 1 and "3 from tests, docs, examples hidden" in panel.status.text()
    panel.hide_side.setChecked(False)
    assert panel.results.topLevelItemCount() == 4


def test_file_names_fit_the_tree_at_the_default_window_size(window):
    names = ["test_templating.py", "test_basic.py", "typing_extensions.py", "templating.py", "test_json_tag.py"]
    tree = window.file_tree
    tree.set_files([FileRecord(f"tests/{name}", "python", 100, 1, name) for name in names] +
                   [FileRecord("src/flask/sansio/scaffold.py", "python", 100, 1, "s")])
    tree.expandAll()
    metrics = tree.fontMetrics()
    # A file one folder down starts two indentation steps in, after its icon.
    room = tree.columnWidth(0) - 2 * tree.indentation() - tree.iconSize().width() - 8
    for name in names:
        assert metrics.horizontalAdvance(name) <= room, (name, room)
        assert f"tests/{name}" in tree._items[f"tests/{name}"].toolTip(0)
    assert tree.textElideMode() == Qt.TextElideMode.ElideMiddle  # longer names keep both ends


def test_the_query_model_is_warmed_before_the_first_search(qtbot, panel):
    panel.mode = "hybrid"
    panel.query.setFocus()  # focus alone (no typing) starts the warm-up on a worker thread
    panel.warm_up()
    qtbot.waitUntil(lambda: panel._warm == "warm", timeout=180_000)
    from pharos_desktop.engine.model import embedder

    # the query model is in the process's model cache now, and no search has run
    assert any(key[0] == "query" for key in embedder._cache) or panel.workspace._embedder is not None
    assert not panel._searched_once
