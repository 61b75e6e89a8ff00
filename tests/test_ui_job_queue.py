"""The window's one job queue (ui/jobs.py): what the engine cannot report still ends the job's card."""

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
