"""Search as you type: debounced, run on a worker thread, and only the newest query's answer shown
(a slower, older search finishing late is dropped). Choosing a result opens the code at that place."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from ..engine.workspace import Workspace
from .icons import KIND_COLORS, kind_icon, language_icon
from .workers import Workers

DEBOUNCE_MS = 300
ALL = "all"


def run_search(workspace: Workspace, query: str, repo_ids, languages, kinds):
    """Worker thread. Imported lazily: search pulls in the model and Chroma."""
    from ..engine.search import SearchFilters, Searcher

    started = time.perf_counter()
    hits = Searcher(workspace).search(query, limit=50, filters=SearchFilters(repo_ids, languages, kinds))
    return hits, time.perf_counter() - started


class SearchPanel(QWidget):
    result_chosen = Signal(object)  # SearchHit

    def __init__(self, workspace: Workspace, workers: Workers, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.workers = workers
        self.selected_repo_id: str | None = None
        self.hits: list = []
        self._generation = 0
        self._searched_once = False

        self.query = QLineEdit()
        self.query.setPlaceholderText("Search code by meaning or name, e.g. “parse command line options”  (Ctrl+F)")
        self.query.setClearButtonEnabled(True)
        self.query.textChanged.connect(self._schedule)
        self.query.returnPressed.connect(self.search_now)
        self.scope = QComboBox()
        self.scope.addItem("All repositories", ALL)
        self.scope.addItem("Selected repository", "selected")
        self.language = QComboBox()
        self.language.addItem("Any language", ALL)
        self.kind = QComboBox()
        self.kind.addItem("Any kind", ALL)
        for kind in KIND_COLORS:
            self.kind.addItem(kind_icon(kind), kind, kind)
        for combo in (self.scope, self.language, self.kind):
            combo.currentIndexChanged.connect(self._schedule)
        self.status = QLabel("Type to search all ingested repositories.")
        self.status.setStyleSheet("color: palette(placeholder-text)")

        self.results = QTreeWidget()
        self.results.setHeaderLabels(["Symbol", "Path", "Lines", "Score", "Summary"])
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(True)
        self.results.setAlternatingRowColors(True)
        header = self.results.header()
        header.setStretchLastSection(True)
        for column, width in ((0, 200), (1, 260), (2, 70), (3, 60)):
            self.results.setColumnWidth(column, width)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        self.results.itemActivated.connect(self._activated)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)

        filters = QHBoxLayout()
        filters.addWidget(self.query, 1)
        filters.addWidget(self.scope)
        filters.addWidget(self.language)
        filters.addWidget(self.kind)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)

    def set_languages(self, languages: list[str]) -> None:
        current = self.language.currentData()
        self.language.blockSignals(True)
        self.language.clear()
        self.language.addItem("Any language", ALL)
        for language in sorted(languages):
            self.language.addItem(language_icon(language), language, language)
        index = self.language.findData(current)
        self.language.setCurrentIndex(max(0, index))
        self.language.blockSignals(False)

    def set_selected_repo(self, repo_id: str | None) -> None:
        self.selected_repo_id = repo_id
        if self.scope.currentData() == "selected":
            self._schedule()

    def focus_query(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    def _schedule(self, *_args) -> None:
        self._timer.start()  # restarts: the search runs once typing pauses

    def search_now(self) -> None:
        self._timer.stop()
        self._generation += 1
        generation = self._generation
        query = self.query.text().strip()
        if not query:
            self.results.clear()
            self.hits = []
            self.status.setText("Type to search all ingested repositories.")
            return
        repo_ids = None
        if self.scope.currentData() == "selected":
            if not self.selected_repo_id:
                self.status.setText("Select a repository in the list to search only it.")
                return
            repo_ids = [self.selected_repo_id]
        languages = None if self.language.currentData() == ALL else [self.language.currentData()]
        kinds = None if self.kind.currentData() == ALL else [self.kind.currentData()]
        self.status.setText("Searching… (the first search loads the model)" if not self._searched_once
                            else "Searching…")
        self.workers.read(lambda: run_search(self.workspace, query, repo_ids, languages, kinds),
                          lambda answer: self._show(generation, query, *answer),
                          lambda exc: self._failed(generation, exc))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.status.setText(f"Search failed: {exc}")

    def _show(self, generation: int, query: str, hits: list, seconds: float) -> None:
        if generation != self._generation:
            return  # a newer query was typed meanwhile
        self._searched_once = True
        self.hits = hits
        self.results.clear()
        for hit in hits:
            item = QTreeWidgetItem(self.results)
            item.setIcon(0, kind_icon(hit.kind))
            item.setText(0, hit.symbol)
            item.setToolTip(0, f"{hit.kind} · {hit.language}")
            item.setText(1, f"{hit.repo}/{hit.path}")
            item.setToolTip(1, f"{hit.repo}/{hit.path}")
            item.setIcon(1, language_icon(hit.language))
            item.setText(2, f"{hit.start_line}–{hit.end_line}")
            item.setText(3, f"{hit.score:.3f}")
            item.setText(4, hit.summary)
            item.setToolTip(4, hit.summary)
        noun = "result" if len(hits) == 1 else "results"
        self.status.setText(f"{len(hits)} {noun} for “{query}” in {seconds:.2f} s — double-click or Enter opens one")
        if hits:
            self.results.setCurrentItem(self.results.topLevelItem(0))

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        index = self.results.indexOfTopLevelItem(item)
        if 0 <= index < len(self.hits):
            self.result_chosen.emit(self.hits[index])
