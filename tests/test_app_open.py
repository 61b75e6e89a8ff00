"""The window's start (ui/app.open_workspace): a data folder that takes long to open (here: held by another
process's write lock, as a keyword index rebuilt after an update holds it for minutes) shows a splash that says
why, keeps answering the window system meanwhile, and hands over the workspace once open."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QSplashScreen

from pharos_desktop.engine.index.catalog import Catalog
from pharos_desktop.ui.app import SLOW_OPEN_NOTICE, open_workspace


def visible_splashes() -> list[QSplashScreen]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QSplashScreen) and w.isVisible()]


def test_a_slow_data_folder_shows_a_splash_that_says_why_then_the_workspace_opens(qapp, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    Catalog(home / "catalog.sqlite").close()
    monkeypatch.setenv("PHAROS_HOME", str(home))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    holder = sqlite3.connect(home / "catalog.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # the open waits for it, as for a long rebuild
    seen: list[tuple[str, int]] = []

    def look() -> None:  # runs inside the splash's event loop: the UI thread is not blocked
        splashes = visible_splashes()
        seen.extend((splash.message(), splash.grab().width()) for splash in splashes)
        if splashes and holder.in_transaction:
            holder.execute("COMMIT")

    timer = QTimer()
    timer.timeout.connect(look)
    timer.start(50)
    try:
        workspace = open_workspace(qapp, settings, notice_after=0.2)
    finally:
        timer.stop()
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()

    assert seen and seen[0] == (SLOW_OPEN_NOTICE, 600)
    assert workspace.data_folder == home
    assert workspace.catalog.repo_names() == {}
    assert visible_splashes() == []


def test_an_open_that_fails_raises_on_the_caller_without_a_splash_left(qapp, tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("PHAROS_HOME", str(blocked))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    with pytest.raises(Exception):
        open_workspace(qapp, settings, notice_after=0)
    assert visible_splashes() == []
