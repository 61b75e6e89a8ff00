"""The window's "Work for my cloud": the switch, Test queue, the worker's state and jobs from the real cloud,
and the question asked when the window closes while it works. Real window (offscreen), real cloud."""

from __future__ import annotations

import sys
import time

import httpx
import pytest
from PySide6.QtCore import Qt

from pharos_desktop.engine import secrets
from pharos_desktop.engine.worker.background import background_pid, stop_background
from pharos_desktop.tools.sample_repos import make_many_file_repo
from tests.git_daemon import GitDaemon

from .ui_support import SLOW, close_window, open_window


@pytest.fixture
def cloud_window(qtbot, pharos_home, tmp_path, real_cloud):
    window = open_window(qtbot, tmp_path)
    settings = window.workspace.settings
    settings.api_url, settings.queue_url = real_cloud.api_url, real_cloud.redis_url
    settings.trusted_git_hosts = ["127.0.0.1"]  # the tests' git daemon: a private server a job may name
    settings.save()
    secrets.set_secret(secrets.CLOUD_TOKEN, real_cloud.token)
    yield window
    close_window(qtbot, window)
    stop_background()


def test_the_switch_needs_a_queue_and_says_where_to_set_it(qtbot, window):
    window.tabs.setCurrentWidget(window.cloud.view)
    window.cloud.view.switch.setChecked(True)
    assert not window.cloud.view.switch.isChecked() and not window.cloud.running
    assert "queue URL" in window.cloud.view.hint.text() and "Settings" in window.cloud.view.hint.text()


def test_test_queue_in_settings(qtbot, cloud_window, real_cloud):
    dialog = cloud_window.open_settings()
    assert dialog.queue_url.text() == real_cloud.redis_url
    qtbot.mouseClick(dialog.test_queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "answers" in dialog.queue_result.text(), timeout=20_000)
    assert dialog.queue_result.text() == "the queue at 127.0.0.1 answers: 0 repositories waiting"
    dialog.queue_url.setText("ftp://nowhere")
    qtbot.mouseClick(dialog.test_queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "did not answer" in dialog.queue_result.text(), timeout=20_000)
    assert "must start with https://" in dialog.queue_result.text()
    dialog.reject()


def test_working_for_the_cloud_shows_state_progress_and_jobs_then_asks_before_closing(qtbot, cloud_window, real_cloud,
                                                                                      tmp_path):
    window = cloud_window
    served = tmp_path / "served"
    served.mkdir()
    daemon = GitDaemon(served)
    try:
        repo_url = daemon.publish(make_many_file_repo(tmp_path / "work", 4), "demo")
        view = window.cloud.view
        window.tabs.setCurrentWidget(view)
        view.switch.setChecked(True)
        assert window.workspace.settings.work_for_cloud
        qtbot.waitUntil(lambda: view.state.text() == "Idle, waiting for jobs", timeout=60_000)
        with real_cloud.api() as api:
            assert api.post(f"/api/v1/ingestion/ingest/{repo_url}").status_code == 200
        qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=SLOW)
        assert [view.table.item(0, c).text() for c in (1, 2)] == [repo_url, "completed"]
        # the job's ingest and sync showed as activity cards with their stages, as a local ingest does
        kinds = {card.title.text() for card in window.activity.cards.values()}
        assert any(repo_url.removesuffix(".git").rsplit("/", 1)[-1] in title for title in kinds), kinds
        window.grab().save(str(tmp_path / "cloud-jobs.png"))

        window.close()  # asks: keep working in the background, or stop
        box = window.cloud.prompt
        qtbot.waitUntil(box.isVisible, timeout=5000)
        assert window.isVisible()
        keep = next(b for b in box.buttons() if b.text() == "Keep working in the background")
        qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=60_000)
        pid = background_pid()
        assert pid is not None  # a detached worker took over
        deadline = time.monotonic() + 60
        while httpx.get(real_cloud.api_url + "/api/v1/ingestion/health/worker").json()["state"] != "online":
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert stop_background() and background_pid() is None
    finally:
        daemon.stop()


CHATTY_WORKER = """
import json, sys
sys.stderr.write("warning: " + "x" * 200_000 + "\\n")  # more than a pipe holds: nobody reading it stalls us here
sys.stderr.flush()
print(json.dumps({"event": "WorkerStatus", "job_id": "worker", "status": "idle"}), flush=True)
sys.stdin.readline()  # the window's cancel line
sys.stderr.write("pharos-desktop: stopped as asked\\n")
"""


def test_a_worker_child_that_writes_much_to_stderr_still_reports(qtbot, workspace, tmp_path, monkeypatch):
    from pharos_desktop.ui import cloud_jobs
    from pharos_desktop.ui.bridge import EventBridge

    script = tmp_path / "chatty_worker.py"
    script.write_text(CHATTY_WORKER)
    monkeypatch.setattr(cloud_jobs, "command_line", lambda: [sys.executable, str(script)])
    process = cloud_jobs.CloudWorkerProcess(workspace, EventBridge())
    with qtbot.waitSignal(process.status, timeout=30_000) as status:
        process.start()
    assert status.args[0].status == "idle"
    with qtbot.waitSignal(process.ended, timeout=30_000) as ended:
        process.stop()
    assert ended.args == [""] and not process.running  # stopped on purpose: no reason shown
