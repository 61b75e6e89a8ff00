"""Jobs in the window: cancel a running ingest within a second, resume it (from the card, and from a
new window after a restart), and close the window while a job runs. Real engine, real repositories."""

from __future__ import annotations

import re
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from pharos_desktop.tools.sample_repos import make_package_repo

from .ui_support import SLOW, close_window, open_window


def start(qtbot, window, source):
    window.url_bar.set_source(str(source))
    qtbot.mouseClick(window.url_bar.ingest_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.activity.cards) == 1, timeout=5000)
    return next(iter(window.activity.cards.values()))


def wait_for_stage(qtbot, card, stage: str = "embed"):
    """Until the stage has done some of its work (the first chunks embedded, the first file stored)."""
    bar = card.bars[stage]
    qtbot.waitUntil(lambda: bar.value() > 0 or card.state not in ("queued", "running"), timeout=SLOW)
    assert card.state == "running"


def chunks_and_embedded(card) -> tuple[int, int]:
    """The finished card's "N chunks (K embedded now)": all chunks of the repository, and those this run embedded."""
    found = re.search(r"([\d,]+) chunks? \(([\d,]+) embedded now\)", card.result.text())
    assert found, card.result.text()
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def test_cancel_a_running_job_then_resume_it(qtbot, window, tmp_path):
    repo = make_package_repo(tmp_path / "typer-repo", "typer", limit=6)
    card = start(qtbot, window, repo)
    wait_for_stage(qtbot, card)
    assert card.cancel_button.isVisible()
    clicked = time.monotonic()
    qtbot.mouseClick(card.cancel_button, Qt.MouseButton.LeftButton)
    assert card.state == "cancelling" and not card.cancel_button.isEnabled()  # seen at once
    qtbot.waitUntil(lambda: card.state == "cancelled", timeout=10_000)
    # The engine's pipeline stops between model calls (~0.5 s each); a loaded 2-core box adds to that.
    assert time.monotonic() - clicked < 5.0
    assert card.resume_button.isVisible() and not card.cancel_button.isVisible()
    catalog = window.workspace.catalog
    assert window.workspace.jobs.resumable()[0].job_id == card.job_id

    qtbot.mouseClick(card.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.state not in ("queued", "running"), timeout=SLOW)
    assert card.state == "done", card.result.text()
    repo_record = catalog.list_repos()[0]
    assert repo_record.state == "ready" and repo_record.files >= 5
    assert catalog.count_chunks() == repo_record.chunks
    assert window.workspace.jobs.resumable() == []


def test_an_interrupted_job_is_offered_for_resume_in_a_new_window(qtbot, tmp_path, monkeypatch):
    # small batches: the first files are stored while most of the work is still ahead
    monkeypatch.setenv("PHAROS_BATCH_SIZE", "8")
    repo = make_package_repo(tmp_path / "typer-repo", "typer", limit=6)
    window = open_window(qtbot, tmp_path)
    try:
        card = start(qtbot, window, repo)
        wait_for_stage(qtbot, card, "store")
        window.cancel_job(card.job_id)
        qtbot.waitUntil(lambda: card.state == "cancelled", timeout=10_000)
    finally:
        close_window(qtbot, window)

    again = open_window(qtbot, tmp_path)
    try:
        qtbot.waitUntil(lambda: card.job_id in again.activity.cards, timeout=10_000)
        offered = again.activity.cards[card.job_id]
        qtbot.waitUntil(offered.resume_button.isVisible, timeout=5000)
        assert "earlier session" in offered.message.text()
        stored = again.workspace.catalog.count_chunks()
        assert stored > 0
        qtbot.mouseClick(offered.resume_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: offered.state not in ("queued", "running", "cancelled"), timeout=SLOW)
        assert offered.state == "done", offered.result.text()
        chunks, embedded = chunks_and_embedded(offered)
        assert embedded == chunks - stored  # resumed: what the first session stored is not embedded again
    finally:
        close_window(qtbot, again)


def test_closing_during_a_job_asks_then_cancels_cleanly(qtbot, window, tmp_path):
    repo = make_package_repo(tmp_path / "typer-repo", "typer", limit=6)
    card = start(qtbot, window, repo)
    wait_for_stage(qtbot, card)

    window.close()  # asks first; "Keep working" leaves everything running
    qtbot.waitUntil(lambda: window.close_prompt is not None and window.close_prompt.isVisible(), timeout=5000)
    window.close_prompt.button(QMessageBox.StandardButton.No).click()
    assert window.isVisible() and window.busy

    window.close()
    qtbot.waitUntil(lambda: window.close_prompt.isVisible(), timeout=5000)
    window.close_prompt.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert card.state == "cancelled" and not window.busy
    job = window.workspace.jobs.resumable()[0]
    assert job.job_id == card.job_id and job.state == "cancelled"
