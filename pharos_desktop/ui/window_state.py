"""Window size, position, dock and splitter layout, remembered per data folder (QSettings, window.ini)."""

from __future__ import annotations

from PySide6.QtCore import Qt


def _splitters(window) -> tuple:
    return (("main_split", window.main_split), ("lower_split", window.lower_split),
            ("code_split", window.code_view.splitter))


def restore_layout(window) -> None:
    settings = window.layout_settings
    if settings.value("state"):
        window.restoreState(settings.value("state"))
    # Size and position rather than restoreGeometry: some platforms (offscreen, Wayland) mangle the latter.
    size, position = settings.value("size"), settings.value("pos")
    if size is not None:
        window.resize(size)
    if position is not None:
        window.move(position)
    if settings.value("maximized") in (True, "true"):
        window.setWindowState(Qt.WindowState.WindowMaximized)
    for name, splitter in _splitters(window):
        if settings.value(name):
            splitter.restoreState(settings.value(name))


def save_layout(window) -> None:
    settings = window.layout_settings
    settings.setValue("maximized", window.isMaximized())
    if not window.isMaximized():
        settings.setValue("size", window.size())
        settings.setValue("pos", window.pos())
    settings.setValue("state", window.saveState())
    for name, splitter in _splitters(window):
        settings.setValue(name, splitter.saveState())
    settings.sync()
