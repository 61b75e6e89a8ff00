"""The window's one job queue (ui/job_queue.py): what the engine cannot report still ends the job's card."""

from __future__ import annotations

from .repo_factory import make_sample_repo
from .ui_support import ingest


def test_an_ingest_child_that_cannot_start_ends_its_card_with_one_line(qtbot, window, tmp_path, monkeypatch):
    from pharos_desktop.engine import isolated

    # the program the window runs for an ingest is missing (a broken install): no engine runs to report it
    monkeypatch.setattr(isolated, "command_line", lambda: [str(tmp_path / "no-such-program")])
    card = ingest(qtbot, window, make_sample_repo(tmp_path / "sample"), timeout=30_000)
    assert card.state == "failed"
    assert card.result.text().startswith("ingest failed unexpectedly: ") and "\n" not in card.result.text()
    assert "Traceback" in card.detail and card.details_button.isVisible()
    assert not window.busy and window.sync_action.isEnabled()


def test_only_the_windows_own_jobs_offer_cancel(qtbot, window):
    from pharos_desktop.engine.run.events import JobStarted

    # an ingest the window queued (here one it remembers from an earlier run) vs one the cloud worker runs
    window.queue.remember("mine", "ingest", "https://example.com/o/mine", {"source": "https://example.com/o/mine"})
    window.bridge.emit(JobStarted("mine", "ingest", "https://example.com/o/mine"))
    window.bridge.emit(JobStarted("cloud-7", "ingest", "https://example.com/o/theirs"))
    qtbot.waitUntil(lambda: window.activity.find("cloud-7") is not None, timeout=5_000)
    mine, theirs = window.activity.find("mine"), window.activity.find("cloud-7")
    assert mine.state == theirs.state == "running"
    assert not mine.cancel_button.isHidden()
    assert theirs.cancel_button.isHidden() and "Work for my cloud" in theirs.toolTip()
