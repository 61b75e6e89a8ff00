"""Helpers for the window tests (tests/test_ui_*.py): open the real window on a real workspace, close it
for real, ingest through the URL bar. The `window` fixture itself is in tests/conftest.py."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QSettings, Qt

SLOW = 180_000  # ms: model load + ingest on two slow CPU cores


def open_window(qtbot, tmp_path, follow: bool = False):
    """``follow``: the window keeps what it lists up to date (ui/following.py) as it does for users; the other
    window tests change folders on purpose and look at what the window says before any update."""
    from pharos_desktop.engine.workspace import Workspace
    from pharos_desktop.ui.main_window import MainWindow

    window = MainWindow(Workspace(), QSettings(str(tmp_path / "app.ini"), QSettings.Format.IniFormat))
    window.following.enabled = follow  # before the event loop runs the window's start-up
    window.show()
    qtbot.waitExposed(window)
    return window


def close_window(qtbot, window) -> None:
    """Cancel whatever still runs and close for real (the test may already have closed it)."""
    if not shiboken6.isValid(window):
        return
    window.cloud.process.stop()
    window.cloud.closing_answered = True
    if window.isVisible():
        window.queue.cancel_all()
        qtbot.waitUntil(lambda: not window.busy, timeout=60_000)
        window.close()
    window.queue.cancel_all()
    window.threads.ingests.shutdown(wait=True)
    window.threads.reads.shutdown(wait=True)
    window.threads.chores.shutdown(wait=True)  # a sweep still looking at the repositories ends before the catalog
    window.workspace.catalog.close()
    window.deleteLater()
    qtbot.wait(10)


def ingest(qtbot, window, source, timeout=SLOW):
    """Type the source in the URL bar, press Enter, wait for the job to end; returns its card."""
    before = set(window.activity.cards)
    window.url_bar.source.clear()
    qtbot.keyClicks(window.url_bar.source, str(source))
    qtbot.keyClick(window.url_bar.source, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(set(window.activity.cards) - before), timeout=5000)
    card = window.activity.cards[(set(window.activity.cards) - before).pop()]
    qtbot.waitUntil(lambda: card.state not in ("queued", "running"), timeout=timeout)
    return card
