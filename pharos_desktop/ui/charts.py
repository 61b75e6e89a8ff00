"""Three small QPainter charts (donut, horizontal bars, treemap) so the overview needs no chart library.
Each takes a list of (label, value, colour) and paints with the palette's text colours."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

Slice = tuple[str, float, QColor]


class _Chart(QWidget):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.items: list[Slice] = []
        self.empty_text = "nothing to show"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(260, 170)

    def set_items(self, items: list[Slice], empty_text: str = "nothing to show") -> None:
        self.items = [item for item in items if item[1] > 0]
        self.empty_text = empty_text
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(380, 200)

    def _begin(self) -> tuple[QPainter, QRectF]:
        """Paint the title; returns the painter and the area left for the chart."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        height = QFontMetrics(font).height()
        painter.drawText(QRectF(8, 4, self.width() - 16, height), Qt.AlignmentFlag.AlignLeft, self.title)
        font.setBold(False)
        painter.setFont(font)
        area = QRectF(8, height + 12, self.width() - 16, self.height() - height - 18)
        if not self.items:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, self.empty_text)
        return painter, area


class DonutChart(_Chart):
    """Shares of a whole, with a legend: label, count and percent."""

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter, area = self._begin()
        if self.items:
            total = sum(value for _, value, _ in self.items)
            side = min(area.height(), area.width() * 0.45)
            ring = QRectF(area.left(), area.top() + (area.height() - side) / 2, side, side)
            angle = 90 * 16
            for _, value, color in self.items:
                span = -round(360 * 16 * value / total)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(color)
                painter.drawPie(ring, angle, span)
                angle += span
            painter.setBrush(self.palette().color(QPalette.ColorRole.Window))
            hole = side * 0.28
            painter.drawEllipse(ring.adjusted(hole, hole, -hole, -hole))
            painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
            painter.drawText(ring, Qt.AlignmentFlag.AlignCenter, f"{int(total):,}")
            self._legend(painter, QRectF(ring.right() + 14, area.top(), area.right() - ring.right() - 14,
                                         area.height()), total)
        painter.end()

    def _legend(self, painter: QPainter, area: QRectF, total: float) -> None:
        line = QFontMetrics(painter.font()).height() + 3
        rows = max(1, int(area.height() // line))
        shown = self.items if len(self.items) <= rows else self.items[:rows - 1]
        rest = sum(value for _, value, _ in self.items[len(shown):])
        entries = [(label, value, color) for label, value, color in shown]
        if rest:
            entries.append((f"{len(self.items) - len(shown)} more", rest, QColor("#bbbbbb")))
        top = area.top() + max(0.0, (area.height() - line * len(entries)) / 2)
        metrics = QFontMetrics(painter.font())
        for label, value, color in entries:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(QRectF(area.left(), top + 3, 10, 10), 2, 2)
            painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
            text = f"{label}  {int(value):,} ({100 * value / total:.0f}%)"
            painter.drawText(QRectF(area.left() + 16, top, area.width() - 16, line), Qt.AlignmentFlag.AlignLeft,
                             metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(area.width() - 16)))
            top += line


class BarChart(_Chart):
    """One labelled horizontal bar per item, longest first, the count at the bar's end."""

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter, area = self._begin()
        if self.items:
            metrics = QFontMetrics(painter.font())
            line = metrics.height() + 6
            rows = max(1, int(area.height() // line))
            items = sorted(self.items, key=lambda item: -item[1])[:rows]
            label_width = min(area.width() * 0.4, max(metrics.horizontalAdvance(label) for label, _, _ in items) + 8)
            value_width = metrics.horizontalAdvance(f"{int(items[0][1]):,}") + 8
            room = max(1.0, area.width() - label_width - value_width)
            biggest = items[0][1]
            text = self.palette().color(QPalette.ColorRole.WindowText)
            for row, (label, value, color) in enumerate(items):
                top = area.top() + row * line
                painter.setPen(text)
                painter.drawText(QRectF(area.left(), top, label_width - 6, line),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                 metrics.elidedText(label, Qt.TextElideMode.ElideMiddle, int(label_width - 6)))
                width = max(2.0, room * value / biggest)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(color)
                painter.drawRoundedRect(QRectF(area.left() + label_width, top + 3, width, line - 6), 3, 3)
                painter.setPen(text)
                painter.drawText(QRectF(area.left() + label_width + width + 4, top, value_width, line),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{int(value):,}")
        painter.end()


class Treemap(_Chart):
    """Areas proportional to size (squarified layout); labels where they fit, tooltips-free on purpose."""

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter, area = self._begin()
        if self.items:
            items = sorted(self.items, key=lambda item: -item[1])
            metrics = QFontMetrics(painter.font())
            border = QPen(self.palette().color(QPalette.ColorRole.Window), 2)
            for (label, value, color), rect in zip(items, squarify([v for _, v, _ in items], area)):
                painter.setPen(border)
                painter.setBrush(color)
                painter.drawRect(rect)
                if rect.width() > 40 and rect.height() > metrics.height() + 4:
                    painter.setPen(QColor("#ffffff") if color.lightness() < 150 else QColor("#202020"))
                    inner = rect.adjusted(4, 2, -4, -2)
                    text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(inner.width()))
                    painter.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, text)
        painter.end()


def squarify(values: list[float], area: QRectF) -> list[QRectF]:
    """Bruls et al.'s squarified treemap: rows laid along the short side, keeping cells near-square."""
    total = sum(values)
    if total <= 0 or area.width() <= 0 or area.height() <= 0:
        return [QRectF() for _ in values]
    scale = area.width() * area.height() / total
    sizes = [v * scale for v in values]
    rects: list[QRectF] = []
    x, y, width, height = area.left(), area.top(), area.width(), area.height()
    start = 0
    while start < len(sizes):
        short = min(width, height)
        row = [sizes[start]]
        end = start + 1
        while end < len(sizes) and _worst(row + [sizes[end]], short) <= _worst(row, short):
            row.append(sizes[end])
            end += 1
        row_sum = sum(row)
        thickness = row_sum / short if short else 0
        offset = 0.0
        for size in row:
            length = size / thickness if thickness else 0
            if width >= height:  # the row is a column on the left
                rects.append(QRectF(x, y + offset, thickness, length))
            else:  # the row runs along the top
                rects.append(QRectF(x + offset, y, length, thickness))
            offset += length
        if width >= height:
            x, width = x + thickness, width - thickness
        else:
            y, height = y + thickness, height - thickness
        start = end
    return rects


def _worst(row: list[float], short: float) -> float:
    total = sum(row)
    if total <= 0 or short <= 0:
        return math.inf
    return max(max(short * short * r / (total * total), (total * total) / (short * short * r)) for r in row)
