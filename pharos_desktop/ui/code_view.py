"""One file of a repository: its chunks (kind, symbol, lines), the code coloured, the selected
chunk's lines marked and its summary beside it. Reading and lexing happen on a worker thread."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter, QTextBrowser,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from ..engine.browse import browse_file, chunk_lines
from ..engine.index.catalog import ChunkRecord, RepoRecord
from ..engine.weblinks import blob_url
from ..engine.workspace import Workspace
from .code_editor import CodeEditor
from .format import elide_middle
from .highlighter import LineTokens, TokenHighlighter, is_dark, lex_lines
from .icons import kind_icon
from .latest import NewestOnly
from .threads import Threads

@dataclass
class LoadedFile:
    repo: RepoRecord
    path: str
    text: str
    from_checkout: bool
    chunks: list[ChunkRecord]
    tokens: list[LineTokens]
    lines: list[str]  # text's lines, split once here rather than on the UI thread at each chunk chosen


def load_file(workspace: Workspace, repo: RepoRecord, path: str) -> LoadedFile:
    """Worker thread: the file as the engine reads it for browsing, and its colours."""
    file = browse_file(workspace.catalog, repo.repo_id, path)
    return LoadedFile(file.repo, path, file.text, file.from_checkout, file.chunks, lex_lines(file.text, path),
                      file.text.split("\n"))


def web_url(repo: RepoRecord, path: str, start: int | None, end: int | None) -> str | None:
    """The file on its host at the indexed commit (so the lines are the ones shown here), at those lines."""
    if not repo.web_base:
        return None
    ref = repo.commit or repo.branch or "HEAD"
    return blob_url(repo.web_base, ref, path, start, end if end and end != start else None)


class CodeView(QWidget):
    file_loaded = Signal(str)  # path, once its code is on screen

    def __init__(self, workspace: Workspace, threads: Threads, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.threads = threads
        self.loaded: LoadedFile | None = None
        self._loads = NewestOnly(threads)
        self._pending_line: int | None = None

        self.path_label = QLabel("Select a file to see its code")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.web_button = QPushButton("Open on the web")
        self.web_button.setEnabled(False)
        self.web_button.clicked.connect(self.open_on_web)
        top = QHBoxLayout()
        top.addWidget(self.path_label, 1)
        top.addWidget(self.web_button)

        self.chunk_list = QTreeWidget()
        self.chunk_list.setHeaderLabels(["Symbol", "Lines"])
        self.chunk_list.setRootIsDecorated(False)
        self.chunk_list.header().setStretchLastSection(False)
        self.chunk_list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.chunk_list.setColumnWidth(1, 74)
        self.chunk_list.itemSelectionChanged.connect(self._chunk_chosen)
        self.summary = QTextBrowser()
        self.summary.setOpenLinks(False)
        self.editor = CodeEditor()
        self.highlighter = TokenHighlighter(self.editor.document(), is_dark(self.palette()))

        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.chunk_list)
        side.addWidget(self.summary)
        side.setSizes([300, 200])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(side)
        self.splitter.addWidget(self.editor)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([290, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

    def show_file(self, repo: RepoRecord, path: str, line: int | None = None) -> None:
        self._pending_line = line
        self.path_label.setText(f"{repo.name} / {path} — loading…")
        self._loads.read(lambda: load_file(self.workspace, repo, path), self._loaded,
                         lambda exc: self._failed(path, exc))

    def clear(self) -> None:
        self._loads.drop()
        self.loaded = None
        self.chunk_list.clear()
        self.summary.clear()
        self.editor.setPlainText("")
        self.path_label.setText("Select a file to see its code")
        self.web_button.setEnabled(False)

    def _failed(self, path: str, exc: BaseException) -> None:
        self.path_label.setText(f"{path}: cannot open ({exc})")

    def _loaded(self, loaded: LoadedFile) -> None:
        self.loaded = loaded
        source = "" if loaded.from_checkout else " (rebuilt from the index: the checkout is gone or has changed)"
        self.path_label.setText(elide_middle(f"{loaded.repo.name} / {loaded.path}", 90) + source)
        self.path_label.setToolTip(loaded.path)
        self.web_button.setEnabled(bool(loaded.repo.web_base))
        self.highlighter.lines = []
        self.editor.setPlainText(loaded.text)
        self.highlighter.set_tokens(loaded.tokens)
        self.chunk_list.blockSignals(True)
        self.chunk_list.clear()
        for chunk in loaded.chunks:
            item = QTreeWidgetItem(self.chunk_list)
            item.setIcon(0, kind_icon(chunk.kind))
            item.setText(0, chunk.symbol)
            item.setToolTip(0, f"{chunk.kind}: {chunk.signature or chunk.symbol}")
            item.setText(1, f"{chunk.start_line}–{chunk.end_line}")
            item.setData(0, Qt.ItemDataRole.UserRole, chunk.chunk_id)
        self.chunk_list.blockSignals(False)
        line = self._pending_line
        self._pending_line = None
        target = self._chunk_at(line) if line else (loaded.chunks[0] if loaded.chunks else None)
        if target is not None:
            self.select_chunk(target.chunk_id)
        else:
            self.summary.clear()
            self.editor.mark_lines(line, line)
        self.file_loaded.emit(loaded.path)

    def _chunk_at(self, line: int) -> ChunkRecord | None:
        assert self.loaded is not None
        covering = [c for c in self.loaded.chunks if c.start_line <= line <= c.end_line]
        # The tightest chunk around the line (a method rather than its class outline).
        return min(covering, key=lambda c: c.end_line - c.start_line) if covering else None

    def select_chunk(self, chunk_id: str) -> None:
        for index in range(self.chunk_list.topLevelItemCount()):
            item = self.chunk_list.topLevelItem(index)
            if item.data(0, Qt.ItemDataRole.UserRole) == chunk_id:
                self.chunk_list.setCurrentItem(item)
                return

    def selected_chunk(self) -> ChunkRecord | None:
        items = self.chunk_list.selectedItems()
        if not items or self.loaded is None:
            return None
        chunk_id = items[0].data(0, Qt.ItemDataRole.UserRole)
        return next((c for c in self.loaded.chunks if c.chunk_id == chunk_id), None)

    def _chunk_chosen(self) -> None:
        chunk = self.selected_chunk()
        if chunk is None:
            return
        own = chunk_lines(chunk, self.loaded.lines) if self.loaded is not None else None
        self.editor.mark_lines(chunk.start_line, chunk.end_line, own)
        self.summary.setHtml(_summary_html(chunk))

    def open_on_web(self) -> None:
        if self.loaded is None:
            return
        chunk = self.selected_chunk()
        url = web_url(self.loaded.repo, self.loaded.path, chunk.start_line if chunk else None,
                      chunk.end_line if chunk else None)
        if url:
            QDesktopServices.openUrl(QUrl(url))


def _summary_html(chunk: ChunkRecord) -> str:
    from html import escape

    parts = [f"<p><b>{escape(chunk.symbol)}</b> <i>{escape(chunk.kind)}</i>, lines {chunk.start_line}–{chunk.end_line}</p>"]
    if chunk.signature:
        parts.append(f"<pre style='white-space: pre-wrap'>{escape(chunk.signature)}</pre>")
    parts.append(f"<p>{escape(chunk.summary)}</p>")
    if chunk.deps:
        parts.append("<p><i>Uses:</i> " + escape(", ".join(chunk.deps[:20])) + "</p>")
    return "".join(parts)
