"""Icons: the app icon and kind icons are SVG files under pharos_desktop/resources/icons; language badges are drawn
here (a coloured rounded square with a short label), so a new language needs one line, not a file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from ..resources import resource_path

# GitHub-linguist-like colours, so the badges look familiar; the charts reuse them.
LANGUAGE_COLORS: dict[str, str] = {
    "python": "#3572A5", "javascript": "#D4B830", "typescript": "#3178C6", "tsx": "#3178C6", "jsx": "#D4B830",
    "go": "#00ADD8", "rust": "#DEA584", "java": "#B07219", "kotlin": "#A97BFF", "scala": "#C22D40",
    "swift": "#F05138", "c": "#555555", "cpp": "#F34B7D", "csharp": "#178600", "ruby": "#CC342D",
    "php": "#4F5D95", "lua": "#000080", "bash": "#89E051", "markdown": "#083FA1", "yaml": "#CB171E",
    "toml": "#9C4221", "json": "#40464D", "dockerfile": "#384D54", "sql": "#E38C00", "text": "#8A8F98",
}
_LANGUAGE_LABELS = {"javascript": "JS", "typescript": "TS", "csharp": "C#", "cpp": "C+", "markdown": "MD",
                    "dockerfile": "DF", "python": "Py", "kotlin": "Kt", "text": "Tx", "bash": "sh"}
KIND_COLORS: dict[str, str] = {
    "function": "#7b4fd1", "method": "#a35bd6", "class": "#d9822b", "struct": "#c9712b", "interface": "#2b9bd9",
    "trait": "#2b8ad9", "enum": "#b58b00", "module_symbol": "#4f7fd1", "imports": "#6b7785", "module": "#5a8f5a",
    "section": "#3a8f8f", "text": "#8a8f98",
}


def icon_path(name: str) -> Path:
    return resource_path("icons", name)


@lru_cache(maxsize=None)
def app_icon() -> QIcon:
    return QIcon(str(icon_path("pharos.svg")))


@lru_cache(maxsize=None)
def folder_icon() -> QIcon:
    return QIcon(str(icon_path("folder.svg")))


@lru_cache(maxsize=None)
def sync_icon() -> QIcon:
    return QIcon(str(icon_path("sync.svg")))


def language_color(language: str | None) -> QColor:
    return QColor(LANGUAGE_COLORS.get(language or "", "#8A8F98"))


def kind_color(kind: str) -> QColor:
    return QColor(KIND_COLORS.get(kind, "#8A8F98"))


@lru_cache(maxsize=None)
def kind_icon(kind: str) -> QIcon:
    path = icon_path(f"kind-{kind}.svg")
    if path.exists():
        return QIcon(str(path))
    return _badge(kind[:1].upper() or "?", KIND_COLORS.get(kind, "#8A8F98"))


@lru_cache(maxsize=None)
def language_icon(language: str | None) -> QIcon:
    if not language:
        return _badge("?", "#8A8F98")
    label = _LANGUAGE_LABELS.get(language, language[:2].capitalize())
    return _badge(label, LANGUAGE_COLORS.get(language, "#8A8F98"))


def _badge(label: str, color: str) -> QIcon:
    icon = QIcon()
    for size in (16, 32):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(color))
        painter.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), size / 5, size / 5)
        font = QFont()
        font.setPixelSize(int(size * (0.5 if len(label) > 1 else 0.62)))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff") if QColor(color).lightness() < 170 else QColor("#202020"))
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, label)
        painter.end()
        icon.addPixmap(pixmap)
    return icon
