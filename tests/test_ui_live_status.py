"""The window's repository list says how fresh each index is, in the words `repos` shows, worked out off the UI
thread: after an ingest, after an edit made outside the window, a commit, the pause switch, an update made by
another process (the command line), and a folder that is gone. Real window, real folder, real git.

LIVE_SCREENSHOTS=DIR saves the list in each state there (docs/screenshots/ holds the ones the docs show)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import git
from PySide6.QtCore import Qt

from pharos_desktop.engine.settings import Settings
from pharos_desktop.tools.sample_repos import commit_all
from pharos_desktop.ui import live_status
from pharos_desktop.ui.live_status import load_statuses
from pharos_desktop.ui.repo_list import STATUS

from .cli_support import cli
from .repo_factory import make_sample_repo
from .ui_support import ingest


def _status(window, repo_id: str) -> str:
    return window.repo_list.status_of(repo_id)


def _check_now(qtbot, window, repo_id: str, expected) -> str:
    """What the minute's timer does, now: the words are read again off the UI thread."""
    window.status_column.timer.timeout.emit()
    qtbot.waitUntil(lambda: expected(_status(window, repo_id)), timeout=30_000)
    return _status(window, repo_id)


def _shot(window, name: str) -> None:
    folder = os.environ.get("LIVE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        window.resize(1700, 900)  # every column in view, the Status column last
        window.repo_list.grab().save(str(Path(folder) / f"{name}.png"))


def test_the_list_says_how_fresh_each_index_is(qtbot, window, tmp_path, pharos_home, monkeypatch):
    reads_on = []  # the threads the status words were worked out on (a scan per local folder)

    def recording_load(workspace, make_way):
        reads_on.append(threading.current_thread().name)
        return load_statuses(workspace, make_way)

    monkeypatch.setattr(live_status, "load_statuses", recording_load)
    shown = window.repo_list.set_statuses

    def showing(statuses):  # the list while the window's own ingest runs, when a read lands then
        shown(statuses)
        if any(words.startswith("updating (") for words in statuses.values()):
            _shot(window, "09-status-updating")

    monkeypatch.setattr(window.repo_list, "set_statuses", showing)
    repo = make_sample_repo(tmp_path / "sample")
    head = git.Repo(repo).head.commit.hexsha
    card = ingest(qtbot, window, repo)
    assert card.state == "done", card.result.text()
    qtbot.waitUntil(lambda: window.repo_list.topLevelItemCount() == 1, timeout=10_000)
    repo_id = window.repo_list.topLevelItem(0).data(0, Qt.ItemDataRole.UserRole)
    assert window.repo_list.headerItem().text(STATUS) == "Status"
    qtbot.waitUntil(lambda: _status(window, repo_id).startswith("up to date"), timeout=30_000)  # the job's end
    assert _status(window, repo_id).startswith(f"up to date with {head[:10]}")
    assert ", checked just now" in _status(window, repo_id)
    # never the UI thread, nor the read threads a search needs
    assert reads_on and all(name.startswith("pharos-chore") for name in reads_on)
    _shot(window, "10-status-up-to-date")

    core = repo / "pkg" / "core.py"
    core.write_text(core.read_text() + "\n\ndef added_later():\n    return 1\n")
    assert _check_now(qtbot, window, repo_id, lambda s: s.startswith("behind")) == "behind by 1 changed file"
    _shot(window, "11-status-behind-files")

    moved = commit_all(repo, "an edit, committed")
    assert _check_now(qtbot, window, repo_id, lambda s: "commit" in s) == "behind by 1 commit"
    _shot(window, "12-status-behind-commit")

    settings = Settings.load()
    settings.live_paused = True
    settings.save()
    assert _check_now(qtbot, window, repo_id, lambda s: s.startswith("paused")) == "paused (behind by 1 commit)"
    _shot(window, "13-status-paused")
    settings.live_paused = False
    settings.save()

    # another process brings the index up to date: the row follows (commit, status) without a click
    done = cli("ingest", str(repo), "--json", home=pharos_home)
    assert done.returncode == 0, done.stderr
    fresh = _check_now(qtbot, window, repo_id, lambda s: s.startswith("up to date"))
    assert fresh.startswith(f"up to date with {moved[:10]}")
    qtbot.waitUntil(lambda: window.repo_list.topLevelItem(0).text(2) == moved[:8], timeout=10_000)

    shutil.rmtree(repo)
    gone = _check_now(qtbot, window, repo_id, lambda s: s.startswith("check failed"))
    assert gone == f"check failed: folder does not exist: {repo}"
    _shot(window, "14-status-check-failed")

