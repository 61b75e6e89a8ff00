"""The window keeps what it lists up to date while it is open (ui/following.py): an edit made outside it becomes
searchable without a click, as a job of its own queue (a card in Activity, in a child process); closing the window
during such an update neither asks nor leaves the child running; the setting turns it off. Real window, real
folder, real child processes."""

from __future__ import annotations

import pytest

from pharos_desktop.engine.states import JobState, RepoState

from .mcp_support import ingest_children
from .repo_factory import make_sample_repo
from .ui_support import close_window, ingest, open_window

pytestmark = pytest.mark.slow

LOADED = 900_000  # ms: a first ingest on two cores shared with other work
BELL = "def ring_the_harbour_bell(times):\n    \"\"\"Ring the bell at the harbour mouth.\"\"\"\n    return 'ding' * times\n"


def _knows(window, repo_id: str, name: str) -> bool:
    """The catalog holds a chunk of that name (written after its vector: it is searchable)."""
    return any(name in symbol for _path, symbol, *_rest in window.workspace.catalog.symbols(repo_id))


def _updates(window) -> list:
    return [job for job in window.queue.by_id.values() if job.automatic]


@pytest.fixture
def following_window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, follow=True)
    yield window
    close_window(qtbot, window)


def test_an_edit_outside_the_window_becomes_searchable_as_an_update_job(qtbot, following_window, tmp_path):
    window = following_window
    sample = make_sample_repo(tmp_path / "sample")
    assert ingest(qtbot, window, sample, timeout=LOADED).state == JobState.DONE
    repo = window.workspace.catalog.list_repos()[0]
    qtbot.waitUntil(lambda: window.following.active, timeout=30_000)  # the list shows it ready: it is followed

    (sample / "src" / "harbour.py").write_text(BELL, encoding="utf-8")
    qtbot.waitUntil(lambda: _knows(window, repo.repo_id, "ring_the_harbour_bell"), timeout=LOADED)
    updates = _updates(window)
    assert updates and updates[0].title == "Update sample" and updates[0].request["source"] == str(sample)
    assert window.activity.cards[updates[0].job_id].state in (JobState.RUNNING, JobState.DONE)
    assert not window.busy  # an automatic update never makes closing ask

    (sample / "src" / "harbour.py").unlink()
    qtbot.waitUntil(lambda: not _knows(window, repo.repo_id, "ring_the_harbour_bell"), timeout=LOADED)
    qtbot.waitUntil(lambda: window.repo_list.status_of(repo.repo_id).startswith("up to date"), timeout=60_000)
    assert window.workspace.catalog.find_repo(repo.repo_id).state == RepoState.READY


def test_closing_during_an_update_stops_its_child_without_asking(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, follow=True)
    sample = make_sample_repo(tmp_path / "sample")
    try:
        assert ingest(qtbot, window, sample, timeout=LOADED).state == JobState.DONE
        qtbot.waitUntil(lambda: window.following.active, timeout=30_000)
        for n in range(60):  # enough new code that the update is still embedding when the window closes
            (sample / "src" / f"harbour_{n}.py").write_text(BELL.replace("ring_", f"ring_{n}_") * 20, encoding="utf-8")
        qtbot.waitUntil(lambda: bool(ingest_children(str(sample))), timeout=LOADED)
        window.close()
        assert not window.isVisible() and window.close_prompt is None  # closed at once, nothing asked
        qtbot.waitUntil(lambda: not ingest_children(str(sample)), timeout=60_000)
    finally:
        close_window(qtbot, window)


def test_the_setting_turns_following_off(qtbot, following_window, tmp_path):
    window = following_window
    sample = make_sample_repo(tmp_path / "sample")
    assert ingest(qtbot, window, sample, timeout=LOADED).state == JobState.DONE
    qtbot.waitUntil(lambda: window.following.active, timeout=30_000)

    dialog = window.open_settings()
    dialog.live_in_window.setChecked(False)
    dialog.save()
    assert not window.following.active and window.workspace.settings.live_in_window is False
