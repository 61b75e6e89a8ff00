"""The repository table: what is indexed, from where, at which commit, its sync state, and how fresh its index
is (the Status column; ui/live_status.py keeps it current).

It only displays RepoRecords handed to it (the main window loads them off the UI thread) and keeps
the selection across refreshes, which happen whenever a job ends.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from ..engine.disk import DiskUsage
from ..engine.index.catalog import RepoRecord
from ..engine.states import RepoState, SyncStanding
from .format import size, when
from .icons import language_icon

COLUMNS = ("Repository", "Source", "Commit", "Languages", "Files", "Chunks", "Ingested", "Sync", "Status", "Disk")
STATUS = 8
DISK = 9  # what the repository takes in the data folder (ui/disk_usage.py measures it)
CHECKING = "checking…"  # until the first status read answers
_NUMERIC = {4, 5, DISK}
ROWS_AT_ONCE = 250  # rows added to the table a turn of the event loop (about 10 ms)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter  # made once: an enum's "|" is Python


class _Item(QTreeWidgetItem):
    def __lt__(self, other: QTreeWidgetItem) -> bool:  # numbers sort as numbers
        column = self.treeWidget().sortColumn() if self.treeWidget() else 0
        if column in _NUMERIC:
            return (self.data(column, Qt.ItemDataRole.UserRole) or 0) < (other.data(column, Qt.ItemDataRole.UserRole) or 0)
        # Not super().__lt__: PySide6 6.11 sends that call back to this override, which recursed until the
        # stack overflowed (the window crashed as soon as it listed two repositories).
        return self.text(column) < other.text(column)


class RepoList(QTreeWidget):
    repo_selected = Signal(object)  # RepoRecord or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(COLUMNS)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 160), (2, 80), (3, 190), (4, 60), (5, 70), (6, 120), (7, 110), (STATUS, 300), (DISK, 80)):
            self.setColumnWidth(column, width)
        self.repos: dict[str, RepoRecord] = {}
        self.sync_states: dict[str, str] = {}
        self.statuses: dict[str, str] = {}
        self.disk: DiskUsage | None = None
        self._filling = 0  # which list the rows being added belong to
        self.itemSelectionChanged.connect(self._emit_selection)

    def set_repos(self, repos: list[RepoRecord]) -> None:
        """Show these records. A row whose record is unchanged is left as it is, and new rows are filled before
        they join the table (an item in it tells the view of each of its twenty changes), ROWS_AT_ONCE a turn of
        the event loop: the status sweep hands the whole list over every minute, and at 1,109 repositories
        clearing and refilling it held the UI thread 57 to 88 ms each time; an unchanged list now takes 3 ms, and
        the first fill five turns of about 10 ms. The rows are sorted once the last one is in."""
        selected = self.selected_repo_id()
        before, self.repos = self.repos, {repo.repo_id: repo for repo in repos}
        self._filling += 1  # rows still to add for a list before this one are not wanted
        shown = {self.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole): self.topLevelItem(i)
                 for i in range(self.topLevelItemCount())}
        changed = [repo for repo in repos if before.get(repo.repo_id) != repo or repo.repo_id not in shown]
        if changed or shown.keys() - self.repos.keys():
            self.blockSignals(True)
            self.setSortingEnabled(False)  # sorted once, after (each row's sort key is Python: _Item.__lt__)
            if selected is not None and selected not in self.repos:
                self.setCurrentItem(None)  # not a neighbour of the removed row: nothing is selected, as said below
                self.clearSelection()
            for index in reversed(range(self.topLevelItemCount())):
                if self.topLevelItem(index).data(0, Qt.ItemDataRole.UserRole) not in self.repos:
                    self.takeTopLevelItem(index)
            for repo in changed:
                if repo.repo_id in shown:
                    self._fill(shown[repo.repo_id], repo)
            self._add_rows([repo for repo in changed if repo.repo_id not in shown], self._filling)
            self.blockSignals(False)
        if selected not in self.repos and selected is not None:
            self.repo_selected.emit(None)
        elif selected in self.repos:
            self.repo_selected.emit(self.repos[selected])  # counts may have changed

    def _add_rows(self, repos: list[RepoRecord], filling: int) -> None:
        if filling != self._filling:
            return
        items = []
        for repo in repos[:ROWS_AT_ONCE]:
            items.append(_Item())
            self._fill(items[-1], repo)
        self.addTopLevelItems(items)
        if len(repos) > ROWS_AT_ONCE:
            QTimer.singleShot(0, lambda: self._add_rows(repos[ROWS_AT_ONCE:], filling))
        else:
            self.blockSignals(True)  # sorting moves no selection: nothing to say
            self.setSortingEnabled(True)
            self.blockSignals(False)

    def set_sync_states(self, states: dict[str, str]) -> None:
        self.sync_states = dict(states)
        for index in range(self.topLevelItemCount()):
            item = self.topLevelItem(index)
            repo_id = item.data(0, Qt.ItemDataRole.UserRole)
            item.setText(7, self.sync_states.get(repo_id, SyncStanding.NOT_SYNCED))

    def set_statuses(self, statuses: dict[str, str]) -> None:
        self.statuses = dict(statuses)
        for index in range(self.topLevelItemCount()):
            item = self.topLevelItem(index)
            self._fill_status(item, item.data(0, Qt.ItemDataRole.UserRole))

    def set_disk(self, usage: DiskUsage) -> None:
        self.disk = usage
        for index in range(self.topLevelItemCount()):
            item = self.topLevelItem(index)
            self._fill_disk(item, item.data(0, Qt.ItemDataRole.UserRole))

    def _fill_disk(self, item: QTreeWidgetItem, repo_id: str) -> None:
        repo = self.disk.of(repo_id) if self.disk else None
        item.setText(DISK, size(repo.total) if repo else "")
        item.setData(DISK, Qt.ItemDataRole.UserRole, repo.total if repo else 0)
        item.setTextAlignment(DISK, _RIGHT)
        if repo:
            item.setToolTip(DISK, f"checkout {size(repo.checkout)}, vectors {size(repo.vectors)}, "
                                  f"catalog rows {size(repo.catalog)}, caches {size(repo.caches)}")

    def status_of(self, repo_id: str) -> str:
        for index in range(self.topLevelItemCount()):
            item = self.topLevelItem(index)
            if item.data(0, Qt.ItemDataRole.UserRole) == repo_id:
                return item.text(STATUS)
        return ""

    def _fill_status(self, item: QTreeWidgetItem, repo_id: str) -> None:
        words = self.statuses.get(repo_id, CHECKING)
        item.setText(STATUS, words)
        item.setToolTip(STATUS, words)

    def _fill(self, item: QTreeWidgetItem, repo: RepoRecord) -> None:
        state = "" if repo.state == RepoState.READY else f" ({repo.state})"
        item.setText(0, repo.name + state)
        item.setData(0, Qt.ItemDataRole.UserRole, repo.repo_id)
        item.setToolTip(0, f"{repo.name}\nid {repo.repo_id}" + (f"\nbranch {repo.branch}" if repo.branch else ""))
        item.setText(1, repo.source)
        item.setToolTip(1, repo.source)
        item.setText(2, repo.commit[:8])
        item.setToolTip(2, repo.commit)
        languages = sorted(repo.languages.items(), key=lambda pair: -pair[1])
        item.setText(3, ", ".join(lang for lang, _ in languages[:4]) + ("…" if len(languages) > 4 else ""))
        item.setToolTip(3, "\n".join(f"{lang}: {n} files" for lang, n in languages))
        if languages:
            item.setIcon(3, language_icon(languages[0][0]))
        for column, value in ((4, repo.files), (5, repo.chunks)):
            item.setText(column, f"{value:,}")
            item.setData(column, Qt.ItemDataRole.UserRole, value)
            item.setTextAlignment(column, _RIGHT)
        item.setText(6, when(repo.ingested_at))
        item.setText(7, self.sync_states.get(repo.repo_id, SyncStanding.NOT_SYNCED))
        self._fill_status(item, repo.repo_id)
        self._fill_disk(item, repo.repo_id)

    def selected_repo_id(self) -> str | None:
        items = self.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def selected_repo(self) -> RepoRecord | None:
        repo_id = self.selected_repo_id()
        return self.repos.get(repo_id) if repo_id else None

    def select(self, repo_id: str) -> None:
        for index in range(self.topLevelItemCount()):
            item = self.topLevelItem(index)
            if item.data(0, Qt.ItemDataRole.UserRole) == repo_id:
                self.setCurrentItem(item)
                return

    def _emit_selection(self) -> None:
        self.repo_selected.emit(self.selected_repo())
