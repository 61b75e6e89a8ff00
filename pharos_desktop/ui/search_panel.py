"""Search as you type: debounced, run on a worker thread, and only the newest query's answer shown
(a slower, older search finishing late is dropped). Choosing a result opens the code at that place.

One row per symbol, with a 0-100 relevance and why it matched; the tooltip explains the ranks. Hits from
tests, docs and examples are marked, and a check box hides them. The query model is warmed on a worker
shortly after the panel first shows (and when the query box gets focus), so the first search is quick."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from ..engine.query.ranking import ROLES
from ..engine.query.rerank import explain_bonus
from ..engine.workspace import Workspace
from .icons import KIND_COLORS, kind_icon, language_icon
from .latest import NewestOnly
from .palette import QUIET, styled
from .threads import Threads

DEBOUNCE_MS = 300
WARM_UP_DELAY_MS = 1500  # after the window shows: let it paint and settle before the model loads
ALL = "all"
SIDE_ROLES = ROLES  # what the filter hides: all but ordinary code
COLUMNS = ["Symbol", "Path", "Lines", "Relevance", "Why", "Summary"]


def run_search(workspace: Workspace, query: str, repo_ids, languages, kinds, mode: str = "hybrid"):
    """Worker thread. Imported lazily: search pulls in the model and Chroma."""
    from ..engine.query.search import SearchFilters, Searcher

    started = time.perf_counter()
    searcher = Searcher(workspace)
    hits = searcher.search(query, limit=50, filters=SearchFilters(repo_ids, languages, kinds), mode=mode)
    return hits, time.perf_counter() - started, searcher.warning


def warm_up(workspace: Workspace) -> None:
    """Worker thread: load the query model and open the vector store before the first search."""
    from ..engine.query.search import Searcher

    Searcher(workspace).warm_up()


def explain(hit) -> str:
    """The tooltip of a hit: its ranks in both rankings and the words found where."""
    vector = f"meaning: #{hit.vector_rank} (similarity {hit.similarity:.2f})" if hit.vector_rank else "meaning: —"
    keyword = f"keywords: #{hit.keyword_rank}" if hit.keyword_rank else "keywords: —"
    words = "\n".join(f"  {field}: {' '.join(found)}" for field, found in hit.matched.items())
    parts = f"\nbest of {hit.parts} parts: lines {hit.start_line}–{hit.end_line} shown" if hit.parts > 1 else ""
    matched = f"\nmatched words:\n{words}" if words else ""
    fused = f"\nfused: #{hit.fused_rank}, re-ranked: {explain_bonus(hit.rerank)}" if hit.fused_rank is not None else ""
    return f"relevance {hit.relevance}/100\n{vector}\n{keyword}{fused}{matched}{parts}"


class SearchPanel(QWidget):
    result_chosen = Signal(object)  # SearchHit

    def __init__(self, workspace: Workspace, threads: Threads, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.threads = threads
        self.selected_repo_id: str | None = None
        self.hits: list = []
        self.all_hits: list = []
        self.mode = "hybrid"  # search mode (tests use "keyword", which needs no model)
        self._searches = NewestOnly(threads)
        self._searched_once = False
        self._warm = "cold"  # cold | warming | warm
        self._query, self._seconds, self._warning = "", 0.0, ""  # of the hits shown

        self.query = QLineEdit()
        self.query.setPlaceholderText("Search code by meaning or name, e.g. “parse command line options”  (Ctrl+F)")
        self.query.setClearButtonEnabled(True)
        self.query.textChanged.connect(self._schedule)
        self.query.returnPressed.connect(self.search_now)
        self.query.installEventFilter(self)
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
        self.hide_side = QCheckBox("Hide tests, docs, examples")
        self.hide_side.setToolTip("Hide results from test, documentation, example and vendored files")
        self.hide_side.toggled.connect(lambda _checked: self._render())
        self.status = QLabel("Type to search all ingested repositories.")
        self.status.setStyleSheet(styled(QUIET))

        self.results = QTreeWidget()
        self.results.setHeaderLabels(COLUMNS)
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(True)
        self.results.setAlternatingRowColors(True)
        header = self.results.header()
        header.setStretchLastSection(True)
        for column, width in ((0, 240), (1, 240), (2, 70), (3, 70), (4, 130)):
            self.results.setColumnWidth(column, width)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
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
        # The check box shares a line with the status, so the panel stays narrow enough for a small screen.
        below = QHBoxLayout()
        below.addWidget(self.status, 1)
        below.addWidget(self.hide_side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addLayout(below)
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

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._warm == "cold":
            QTimer.singleShot(WARM_UP_DELAY_MS, self.warm_up)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.query and event.type() == QEvent.Type.FocusIn:
            self.warm_up()  # the user is about to type
        return super().eventFilter(watched, event)

    def warm_up(self) -> None:
        """Load the query model on a worker (once; a no-op while nothing is indexed)."""
        if self._warm != "cold" or self.mode == "keyword":
            return
        self._warm = "warming"

        def done(_result=None) -> None:
            self._warm = "warm" if self.workspace.catalog.count_chunks() else "cold"

        def failed(exc: BaseException) -> None:
            self._warm = "cold"  # the search itself will report the problem

        self.threads.read(lambda: warm_up(self.workspace), done, failed)

    def search_now(self) -> None:
        self._timer.stop()
        self._searches.drop()  # a search still running was for an older query
        query = self.query.text().strip()
        if not query:
            self.results.clear()
            self.hits, self.all_hits = [], []
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
        first = not self._searched_once and self._warm != "warm" and self.mode != "keyword"
        self.status.setText("Searching… (the first search loads the model)" if first else "Searching…")
        mode = self.mode
        self._searches.read(lambda: run_search(self.workspace, query, repo_ids, languages, kinds, mode),
                            lambda answer: self._show(query, *answer), self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f"Search failed: {exc}")

    def _show(self, query: str, hits: list, seconds: float, warning: str = "") -> None:
        self._searched_once = True
        self._warm = "warm" if self.mode != "keyword" else self._warm
        self.all_hits = hits
        self._query, self._seconds, self._warning = query, seconds, warning
        self._render()

    def _render(self) -> None:
        """Show all_hits, without tests/docs/examples when the filter is on."""
        hidden = self.hide_side.isChecked()
        self.hits = [h for h in self.all_hits if not (hidden and h.role in SIDE_ROLES)]
        self.results.clear()
        grey = QBrush(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        for hit in self.hits:
            item = QTreeWidgetItem(self.results)
            item.setIcon(0, kind_icon(hit.kind))
            item.setText(0, hit.symbol + (f"  [{hit.role}]" if hit.role else ""))
            more = f" · best of {hit.parts} parts" if hit.parts > 1 else ""
            item.setToolTip(0, f"{hit.kind} · {hit.language}{more}" + (f" · from {hit.role}" if hit.role else ""))
            item.setText(1, f"{hit.repo}/{hit.path}")
            item.setToolTip(1, f"{hit.repo}/{hit.path}")
            item.setIcon(1, language_icon(hit.language))
            item.setText(2, f"{hit.start_line}–{hit.end_line}" + ("+" if hit.parts > 1 else ""))
            item.setToolTip(2, f"best of {hit.parts} parts" if hit.parts > 1 else "")
            item.setText(3, str(hit.relevance))
            item.setText(4, ", ".join(hit.reasons))
            for column in (3, 4):
                item.setToolTip(column, explain(hit))
            item.setText(5, hit.summary)
            item.setToolTip(5, hit.summary)
            if hit.role in SIDE_ROLES:
                for column in range(len(COLUMNS)):
                    item.setForeground(column, grey)
        if not self._query:
            return
        noun = "result" if len(self.hits) == 1 else "results"
        hidden_note = f" ({len(self.all_hits) - len(self.hits)} from tests, docs, examples hidden)" \
            if len(self.hits) < len(self.all_hits) else ""
        self.status.setText(f"{len(self.hits)} {noun} for “{self._query}” in {self._seconds:.2f} s{hidden_note}"
                            " — double-click or Enter opens one" + (f"\n{self._warning}" if self._warning else ""))
        if self.hits:
            self.results.setCurrentItem(self.results.topLevelItem(0))

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        index = self.results.indexOfTopLevelItem(item)
        if 0 <= index < len(self.hits):
            self.result_chosen.emit(self.hits[index])
