"""The selected repository's files as a folder tree, with language badges and chunk counts per file
and per folder. Skipped files are listed greyed out with the reason, so nothing silently vanishes.

Names get the room: the count and sync columns are only as wide as their content, a name too long
for the column is elided in the middle (``test_bas…ings.py`` keeps both ends), and hovering shows the
full path."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from ..engine.index.catalog import FileRecord
from .icons import folder_icon, language_icon

PATH_ROLE = Qt.ItemDataRole.UserRole


def _folders_first(record: FileRecord) -> tuple:
    parts = record.path.lower().split("/")
    return tuple((0, part) for part in parts[:-1]) + ((1, parts[-1]),)


class FileTree(QTreeWidget):
    file_selected = Signal(str)  # repo-relative path of an indexed file

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["File", "Chunks", "Sync"])
        self.setUniformRowHeights(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setIndentation(14)
        header = self.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(24)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self._items: dict[str, QTreeWidgetItem] = {}
        self.itemSelectionChanged.connect(self._emit_selection)

    def set_files(self, files: list[FileRecord]) -> None:
        self.setUpdatesEnabled(False)
        self.blockSignals(True)
        self.clear()
        self._items = {}
        folders: dict[str, QTreeWidgetItem] = {}
        totals: dict[str, int] = {}
        grey = QBrush(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        # Folders first, then files, both by name: the order a file manager uses.
        for record in sorted(files, key=_folders_first):
            parent_path, _, name = record.path.rpartition("/")
            parent = self._folder(parent_path, folders)
            item = QTreeWidgetItem(parent)
            item.setText(0, name)
            item.setData(0, PATH_ROLE, record.path)
            if record.skip_reason:
                item.setText(1, "—")
                item.setToolTip(0, f"{record.path}\nskipped: {record.skip_reason}")
                item.setForeground(0, grey)
                item.setForeground(1, grey)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            else:
                item.setIcon(0, language_icon(record.language))
                item.setText(1, str(record.chunk_count))
                item.setToolTip(0, f"{record.path}\n{record.language or 'unknown'} · {record.size:,} bytes")
                self._items[record.path] = item
                # Add this file's chunks to every folder above it.
                folder = parent_path
                while True:
                    totals[folder] = totals.get(folder, 0) + record.chunk_count
                    if not folder:
                        break
                    folder = folder.rpartition("/")[0]
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for path, folder_item in folders.items():
            folder_item.setText(1, str(totals.get(path, 0)))
            folder_item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if len(files) < 400:
            self.expandToDepth(0)
        self.blockSignals(False)
        self.setUpdatesEnabled(True)

    def _folder(self, path: str, folders: dict[str, QTreeWidgetItem]) -> QTreeWidget | QTreeWidgetItem:
        if not path:
            return self.invisibleRootItem()
        if path in folders:
            return folders[path]
        parent_path, _, name = path.rpartition("/")
        item = QTreeWidgetItem(self._folder(parent_path, folders))
        item.setText(0, name)
        item.setIcon(0, folder_icon())
        item.setToolTip(0, path)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
        folders[path] = item
        return item

    def set_sync_states(self, states: dict[str, tuple[str, str]]) -> None:
        """path -> (synced | pending | failed, tooltip); files without a state show nothing."""
        for path, item in self._items.items():
            text, tip = states.get(path, ("", ""))
            item.setText(2, text)
            item.setToolTip(2, tip)

    def select_path(self, path: str) -> None:
        item = self._items.get(path)
        if item is None:
            return
        parent = item.parent()
        while parent is not None:
            parent.setExpanded(True)
            parent = parent.parent()
        self.blockSignals(True)
        self.setCurrentItem(item)
        self.blockSignals(False)
        self.scrollToItem(item)

    def selected_path(self) -> str | None:
        items = self.selectedItems()
        return items[0].data(0, PATH_ROLE) if items else None

    def _emit_selection(self) -> None:
        path = self.selected_path()
        if path:
            self.file_selected.emit(path)
