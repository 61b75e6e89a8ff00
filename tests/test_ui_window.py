"""The window end to end: paste a real repository, ingest it, browse the tree and the code, search and
open a result; invalid input explained; the window shows without torch. Real engine, no mocks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from .repo_factory import make_sample_repo
from .ui_support import SLOW, ingest


def test_window_opens_without_loading_torch(pharos_home):
    """The window must be on screen before the model exists: nothing in ui/ may import torch."""
    code = ("import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
            "from pharos_desktop.engine.workspace import Workspace;"
            "from pharos_desktop.ui.main_window import MainWindow;"
            "w = MainWindow(Workspace()); w.show(); app.processEvents();"
            "heavy = [m for m in ('torch', 'sentence_transformers', 'chromadb') if m in sys.modules];"
            "print(heavy); w.close(); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stdout + done.stderr


def test_invalid_source_is_explained_before_anything_starts(qtbot, window, tmp_path):
    bar = window.url_bar
    for text, expected in (("ext::sh -c touch% /tmp/pwned", "refusing"),
                           (str(tmp_path / "no-such-folder"), "folder does not exist"),
                           ("", "no source given")):
        bar.source.setText(text)
        qtbot.mouseClick(bar.ingest_button, Qt.MouseButton.LeftButton)
        assert bar.error.isVisible(), text
        assert expected in bar.error.text()
    assert window.activity.cards == {}
    qtbot.keyClicks(bar.source, "x")  # editing clears the message
    assert not bar.error.isVisible()


def test_ingest_browse_search_and_open_a_result(qtbot, window, tmp_path):
    repo = make_sample_repo(tmp_path / "sample")
    card = ingest(qtbot, window, repo)
    assert card.state == "done", card.result.text()
    assert "chunks" in card.result.text() and "skipped" in card.result.text()

    # The repository list, then its file tree with language badges and chunk counts.
    qtbot.waitUntil(lambda: window.repo_list.topLevelItemCount() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: window.file_tree.topLevelItemCount() > 0, timeout=10_000)
    row = window.repo_list.topLevelItem(0)
    assert row.text(0) == "sample" and int(row.text(5).replace(",", "")) > 10 and "python" in row.text(3)
    files = window.file_tree._items
    python_file = next(path for path in files if path.endswith("core.py"))
    assert int(files[python_file].text(1)) >= 3

    # Selecting a file shows its chunks and its code, the first chunk's lines marked and summarised.
    window.file_tree.setCurrentItem(files[python_file])
    qtbot.waitUntil(lambda: window.code_view.loaded is not None and window.code_view.loaded.path == python_file,
                    timeout=10_000)
    view = window.code_view
    assert view.loaded.from_checkout
    symbols = [view.chunk_list.topLevelItem(i).text(0) for i in range(view.chunk_list.topLevelItemCount())]
    assert "load_config" in symbols
    view.select_chunk(view.loaded.chunks[symbols.index("load_config")].chunk_id)
    chunk = view.selected_chunk()
    assert view.editor.marked == (chunk.start_line, chunk.end_line) and view.editor.marked_only is None
    assert len(view.editor.extraSelections()) == chunk.end_line - chunk.start_line + 1
    assert "load_config" in view.summary.toPlainText()
    assert "def load_config" in view.editor.toPlainText()
    assert view.highlighter.lines  # pygments tokens arrived from the worker

    # Ctrl+F, type, wait for the debounced search, open the best result.
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.search_panel
    qtbot.keyClicks(window.search_panel.query, "redact secrets before logging")
    qtbot.waitUntil(lambda: bool(window.search_panel.hits), timeout=SLOW)
    hits = window.search_panel.hits
    assert any(hit.symbol == "redact_secrets" for hit in hits[:5])
    target = next(hit for hit in hits if hit.symbol == "redact_secrets")
    item = window.search_panel.results.topLevelItem(hits.index(target))
    window.search_panel.results.itemActivated.emit(item, 0)
    assert window.tabs.currentWidget() is window.code_view
    qtbot.waitUntil(lambda: view.loaded is not None and view.selected_chunk() is not None
                    and view.selected_chunk().symbol == "redact_secrets", timeout=10_000)
    assert view.editor.marked[0] == target.start_line
    assert window.file_tree.selected_path() == target.path

    # Filters: a language that the hit does not have removes it.
    window.search_panel.language.setCurrentIndex(window.search_panel.language.findData("go"))
    qtbot.waitUntil(lambda: all(hit.language == "go" for hit in window.search_panel.hits), timeout=30_000)

    # The overview measures the repository.
    window.tabs.setCurrentWidget(window.overview)
    qtbot.waitUntil(lambda: window.overview.shape is not None, timeout=10_000)
    shape = window.overview.shape
    assert shape.languages["python"] >= 1 and shape.kinds["function"] >= 1 and shape.skipped["secret"] >= 1


def test_a_git_url_on_the_clipboard_is_offered_and_a_drop_fills_the_bar(qtbot, tmp_path):
    from PySide6.QtGui import QGuiApplication

    from .ui_support import close_window, open_window

    QGuiApplication.clipboard().setText("https://github.com/pallets/click")
    window = open_window(qtbot, tmp_path)
    try:
        bar = window.url_bar
        qtbot.waitUntil(bar.offer.isVisible, timeout=5000)
        assert "github.com/pallets/click" in bar.offer.text() and bar.source.text() == ""  # offered, not started
        bar.offer.linkActivated.emit("https://github.com/pallets/click")
        assert bar.source.text() == "https://github.com/pallets/click" and window.activity.cards == {}
        window.url_bar.set_source(str(tmp_path))  # what a folder dropped on the window does
        assert bar.source.text() == str(tmp_path)
    finally:
        QGuiApplication.clipboard().clear()
        close_window(qtbot, window)


def test_the_code_view_marks_only_the_rows_of_a_gathered_chunk(qtbot):
    """Marking lines 1..15 with only four of them given tints those four, in the text and in the gutter."""
    from pharos_desktop.ui.code_editor import CodeEditor

    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.setPlainText("\n".join(f"line {n}" for n in range(1, 21)))
    editor.mark_lines(1, 15, {1, 2, 14, 15})
    tinted = sorted(selection.cursor.blockNumber() + 1 for selection in editor.extraSelections())
    assert tinted == [1, 2, 14, 15]
    assert [n for n in range(1, 21) if editor._is_marked(n)] == [1, 2, 14, 15]
    editor.mark_lines(3, 5)
    assert sorted(selection.cursor.blockNumber() + 1 for selection in editor.extraSelections()) == [3, 4, 5]
