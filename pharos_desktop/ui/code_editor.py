"""A read-only code editor with line numbers and a band marking the selected chunk's lines."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontDatabase, QPainter, QPalette, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget


class _Gutter(QWidget):
    def __init__(self, editor: "CodeEditor") -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.marked: tuple[int, int] | None = None  # 1-based inclusive line range
        self.marked_only: frozenset[int] | None = None  # the lines of that range tinted, when not all of them
        self._gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _n: self.setViewportMargins(self.gutter_width(), 0, 0, 0))
        self.updateRequest.connect(self._scroll_gutter)
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter_width(), rect.height()))

    def paint_gutter(self, event) -> None:
        painter = QPainter(self._gutter)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.AlternateBase))
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            number = block.blockNumber() + 1
            marked = self._is_marked(number)
            painter.setPen(palette.color(QPalette.ColorRole.Text) if marked
                           else palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(0, top, self._gutter.width() - 6, height, Qt.AlignmentFlag.AlignRight, str(number))
            top += round(self.blockBoundingRect(block).height())
            block = block.next()
        painter.end()

    def _is_marked(self, number: int) -> bool:
        return bool(self.marked and self.marked[0] <= number <= self.marked[1]
                    and (self.marked_only is None or number in self.marked_only))

    def mark_lines(self, start: int | None, end: int | None, only: set[int] | None = None) -> None:
        """Tint lines start..end (1-based), or ``only`` those of them, and scroll them into view, a few lines of
        context above."""
        if not start:
            self.marked = self.marked_only = None
            self.setExtraSelections([])
            self._gutter.update()
            return
        end = max(start, end or start)
        self.marked, self.marked_only = (start, end), (frozenset(only) if only else None)
        band = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        band.setAlpha(45)
        selections = []
        block = self.document().findBlockByNumber(start - 1)
        while block.isValid() and block.blockNumber() < end:
            if not self._is_marked(block.blockNumber() + 1):
                block = block.next()
                continue
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(band)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selection.cursor = QTextCursor(block)
            selections.append(selection)
            block = block.next()
        self.setExtraSelections(selections)
        self._gutter.update()
        target = self.document().findBlockByNumber(max(0, start - 4))
        self.verticalScrollBar().setValue(target.firstLineNumber())
        cursor = QTextCursor(self.document().findBlockByNumber(start - 1))
        self.setTextCursor(cursor)
