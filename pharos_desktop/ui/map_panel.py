"""The Map tab: how a repository's files depend on each other, and what one file or symbol is tied to.

The map, and a file's or symbol's ties, are made in a child process (engine/graph/process.py); only the newest map
asked for is shown, and only while the tab is open: a repository chosen elsewhere is mapped when the tab shows. A
large repository opens folded to folders; clicking a folder opens it. Clicking a file lists its imports, importers
and symbols beside the map; choosing a symbol lists its callers and callees (engine/graph/related); a double-click
on a file or on any place in the list opens it in the code view.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
                               QSplitter, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from ..engine.graph.layout import RepoMap
from ..engine.graph.process import GraphProcess
from ..engine.graph.related import Place, Related
from ..engine.index.catalog import RepoRecord
from ..engine.index.chunks import SYMBOL_KINDS
from ..engine.workspace import Workspace
from .format import plural
from .icons import LANGUAGE_COLORS, kind_icon
from .latest import NewestOnly
from .map_view import SLICE_MS, MapView, PreparedMap, prepare
from .palette import QUIET, styled
from .threads import Threads

SEARCH_DEBOUNCE_MS = 120
PLACES_AT_ONCE = 100  # a file's or symbol's ties added to the list in batches of this many, SLICE_MS per turn
WHOLE_FILE = "(the whole file)"
# The map is asked for this long after the tab shows: the tab's first layout and paint (20 to 40 ms of the UI
# thread) then no longer wait 6 to 20 ms more on the worker thread starting the map's child process
MAP_AFTER_SHOW_MS = 50


class MapPanel(QWidget):
    open_requested = Signal(str, int)  # path, line: show it in the code view

    def __init__(self, workspace: Workspace, threads: Threads, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.repo: RepoRecord | None = None
        self.opened: set[str] = set()  # folders opened on a folded map
        self.file: str | None = None  # the file whose ties are listed
        self.related: Related | None = None
        self._stale = False
        self._drawn_search = ""  # the search the map being drawn was styled with
        self._maps = NewestOnly(threads)
        self._graph = GraphProcess(workspace.catalog.path)  # made in a child: the window never waits on it
        self._ties = NewestOnly(threads)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a file or folder on the map")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.fit_button = QPushButton("Fit")
        self.fold_button = QPushButton("Fold all")
        self.fold_button.setToolTip("Show each folder as one node again")
        self.heading = QLabel("Select a repository to see its map.")
        self.heading.setStyleSheet(styled(QUIET))
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.fit_button)
        top.addWidget(self.fold_button)

        self.view = MapView()
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        left_layout.addWidget(self.heading)
        left_layout.addWidget(self.view, 1)
        left_layout.addWidget(self.legend)

        self.title = QLabel("Click a file on the map")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.symbols = QListWidget()
        self.ties = QTreeWidget()
        self.ties.setHeaderLabels(["Place", "How sure"])
        self.ties.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.ties.header().setStretchLastSection(False)
        self.ties.setColumnWidth(1, 96)
        self.ties.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a path's file name stays in sight
        self.ties.setUniformRowHeights(True)  # thousands of places: rows laid out without measuring each
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.symbols)
        side.addWidget(self.ties)
        side.setSizes([160, 340])
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.title)
        right_layout.addWidget(QLabel("Symbols (choose one for its callers and callees)"))
        right_layout.addWidget(side, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setSizes([640, 380])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        self.fit_button.clicked.connect(self.view.fit)
        self.fold_button.clicked.connect(self.fold_all)
        self.view.node_clicked.connect(self._node_clicked)
        self.view.node_double_clicked.connect(self._node_double_clicked)
        self.view.drawn.connect(self._drawn)
        self.symbols.currentItemChanged.connect(lambda item, _old: self._symbol_chosen(item))
        self.ties.itemActivated.connect(self._tie_activated)

    # -- the map -----------------------------------------------------------------------------------

    def show_repo(self, repo: RepoRecord | None) -> None:
        same = repo is not None and self.repo is not None and repo.repo_id == self.repo.repo_id
        self.repo = repo
        if not same:
            self.opened = set()
            self._show_file(None)
        if repo is None:
            self._maps.drop()
            self.view.show_map(None)
            self.heading.setText("Select a repository to see its map.")
            self.legend.clear()
            return
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._stale:
            QTimer.singleShot(MAP_AFTER_SHOW_MS, self._refresh_if_stale)

    def _refresh_if_stale(self) -> None:
        if self._stale and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Make the map again, on a worker, with the folders opened now."""
        repo, opened = self.repo, frozenset(self.opened)
        if repo is None:
            return
        self._stale = False
        self.heading.setText(f"{repo.name}: laying out the map…")
        self._maps.read(lambda: prepare(self._graph.build_map(repo, opened)), self._show_map,
                        lambda exc: self.heading.setText(f"Cannot draw the map of {repo.name}: {exc}"))

    def _show_map(self, prepared: PreparedMap) -> None:
        self._drawn_search = self._search_text()
        self.view.show_map(prepared, self._matches(prepared.map, self._drawn_search))
        repo_map = prepared.map
        if repo_map.folded:
            how = "folded to folders: click a folder to open it"
        elif self.opened:
            how = "the folders you opened are shown file by file"
        else:
            how = "every file shown"
        self.heading.setText(f"{repo_map.repo}: {plural(repo_map.files, 'file')} in "
                             f"{plural(repo_map.folders, 'folder')}, {plural(len(repo_map.edges), 'import link')}; "
                             f"{how}. Wheel: zoom; drag: pan; double-click a file: its code.")
        self.fold_button.setEnabled(bool(self.opened))
        swatches = [f'<span style="color:{LANGUAGE_COLORS.get(lang, "#8A8F98")}">&#9679;</span>&nbsp;{lang} ({n})'
                    for lang, n in repo_map.languages.most_common()]
        self.legend.setText("&nbsp;&nbsp; ".join(swatches) + "&nbsp;&nbsp; <i>size: chunks</i>")

    def _drawn(self) -> None:
        """The new map is in sight: the file chosen applies to it, and the search if it changed meanwhile."""
        if self.file is not None:
            self.view.select(self._node_of(self.file))
        if self._search_text() != self._drawn_search:
            self.apply_search()

    def shutdown(self) -> None:
        """The window is closing: the map's process ends."""
        self._maps.drop()
        self._graph.close()

    def fold_all(self) -> None:
        self.opened = set()
        self.refresh()

    def open_folder(self, folder: str) -> None:
        self.opened.add(folder)
        self.refresh()

    def apply_search(self) -> None:
        repo_map = self.view.map
        if repo_map is not None:
            self.view.highlight(self._matches(repo_map, self._search_text()))

    def _search_text(self) -> str:
        return self.search.text().strip().lower()

    @staticmethod
    def _matches(repo_map: RepoMap, text: str) -> set[str] | None:
        """The nodes whose files' paths hold ``text`` (a folded folder, when one of its files does); None: no
        search."""
        if not text:
            return None
        return {n.id for n in repo_map.nodes if any(text in path.lower() for path in n.files)
                or text in n.label.lower()}

    def _node_of(self, path: str) -> str | None:
        repo_map = self.view.map
        if repo_map is None:
            return None
        return next((n.id for n in repo_map.nodes if path in n.files), None)

    def _node_clicked(self, node_id: str) -> None:
        node = self.view.map.node(node_id) if self.view.map else None
        if node is None:
            return
        if node.kind == "folder":
            self.open_folder(node.folder)
        else:
            self.select_file(node.id)

    def _node_double_clicked(self, node_id: str) -> None:
        node = self.view.map.node(node_id) if self.view.map else None
        if node is not None and node.kind == "file":
            self.open_requested.emit(node.id, 1)

    # -- one file's ties ---------------------------------------------------------------------------

    def select_file(self, path: str) -> None:
        self.view.select(self._node_of(path))
        self._show_file(path)
        repo = self.repo
        catalog = self.workspace.catalog

        def load():
            chunks = catalog.chunks_for_file(repo.repo_id, path)
            names = list(dict.fromkeys((c.symbol, c.kind, c.start_line) for c in chunks if c.kind in SYMBOL_KINDS))
            return names, self._graph.related(repo, path)

        self._ties.read(load, lambda loaded: self._show_symbols(path, *loaded), self._failed)

    def _show_file(self, path: str | None) -> None:
        self.file = path
        self.related = None
        self.symbols.clear()
        self._waiting_for_ties()
        self.title.setText(f"<b>{path}</b>" if path else "Click a file on the map")

    def _waiting_for_ties(self) -> None:
        """The first file of a large repository takes seconds (its imports and references are resolved once)."""
        self.ties.clear()
        if self.file is not None:
            waiting = QTreeWidgetItem(["Finding its imports, importers, callers and callees…", ""])
            waiting.setFlags(Qt.ItemFlag.NoItemFlags)
            self.ties.addTopLevelItem(waiting)

    def _show_symbols(self, path: str, names: list[tuple[str, str, int]], ties: Related) -> None:
        if path != self.file:
            return
        self.symbols.blockSignals(True)
        self.symbols.addItem(WHOLE_FILE)
        seen = set()
        for symbol, kind, line in names:
            if symbol not in seen:
                seen.add(symbol)
                item = QListWidgetItem(kind_icon(kind), f"{symbol}  ({kind}, line {line})")
                item.setData(Qt.ItemDataRole.UserRole, symbol)
                self.symbols.addItem(item)
        self.symbols.setCurrentRow(0)
        self.symbols.blockSignals(False)
        self._show_ties(ties)

    def select_symbol(self, symbol: str) -> None:
        for row in range(self.symbols.count()):
            if self.symbols.item(row).data(Qt.ItemDataRole.UserRole) == symbol:
                self.symbols.setCurrentRow(row)
                return

    def _symbol_chosen(self, item: QListWidgetItem | None) -> None:
        if item is None or self.file is None or self.repo is None:
            return
        path, repo, symbol = self.file, self.repo, item.data(Qt.ItemDataRole.UserRole)
        self._waiting_for_ties()
        self._ties.read(lambda: self._graph.related(repo, path, symbol), self._show_ties, self._failed)

    def _show_ties(self, ties: Related) -> None:
        """The four groups at once, with their counts; their places a slice of SLICE_MS per turn of the event loop
        (a file used by hundreds of others lists thousands: 4,150 callers of scipy's _lib/_array_api.py, some
        60 ms of items in one turn)."""
        if ties.path != self.file:
            return
        self.related = ties
        self.ties.clear()
        what = ties.symbol or "it"
        groups = [("Imports", ties.imports), ("Imported by", ties.importers),
                  (f"Callers of {what}", ties.callers), (f"Callees of {what}", ties.callees)]
        pending = []
        for n, (title, places) in enumerate(groups):
            group = QTreeWidgetItem([f"{title} ({len(places)})", ""])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.ties.addTopLevelItem(group)
            group.setExpanded(not ties.symbol or n >= 2)  # a symbol's callers first in sight, its file's imports folded
            pending.append((group, places))
        self._add_places(ties, pending)

    def _add_places(self, ties: Related, pending: list[tuple[QTreeWidgetItem, list[Place]]]) -> None:
        if ties is not self.related:
            return  # other ties took their place
        until = time.perf_counter() + SLICE_MS / 1000
        while pending and time.perf_counter() < until:
            group, places = pending[0]
            done = group.childCount()
            group.addChildren([self._place_item(place) for place in places[done:done + PLACES_AT_ONCE]])
            if group.childCount() == len(places):
                pending.pop(0)
        if pending:
            QTimer.singleShot(0, lambda: self._add_places(ties, pending))

    @staticmethod
    def _place_item(place: Place) -> QTreeWidgetItem:
        text = f"{place.path}:{place.line}" + (f"  {place.symbol}" if place.symbol else "")
        item = QTreeWidgetItem([text, place.confidence])
        item.setData(0, Qt.ItemDataRole.UserRole, (place.path, place.line))
        item.setToolTip(0, "double-click: open it in the code view")
        return item

    def _tie_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        place = item.data(0, Qt.ItemDataRole.UserRole)
        if place:
            self.open_requested.emit(place[0], place[1])

    def _failed(self, exc: BaseException) -> None:
        self.title.setText(f"{self.file}: {exc}")
        self.ties.clear()
