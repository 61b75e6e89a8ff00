"""Settings saved and restored (the token in the keyring only), window layout remembered, the
diagnostics view, and Sync against the fake Pharos cloud over real HTTP."""

from __future__ import annotations

import json
import threading

from keyring.backends import fail
from PySide6.QtCore import Qt

from pharos_desktop.engine import secrets
from pharos_desktop.engine.model.embedder import bundled_model_path, cpu_graph_runtime
from pharos_desktop.tools.fake_cloud import CloudServer

from .repo_factory import make_sample_repo
from .ui_support import SLOW, close_window, ingest, open_window

TOKEN = "pharos-secret-token-9876"


def files_containing(folder, text: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_settings_are_saved_and_restored_token_in_keyring_only(qtbot, window, pharos_home, memory_keyring):
    dialog = window.open_settings()
    dialog.api_url.setText("https://pharos.example.org/")
    qtbot.keyClicks(dialog.cloud_token, TOKEN)
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.batch_size.setValue(16)
    assert dialog.runtime.currentData() == "auto" and dialog.max_cores.text() == "All"
    dialog.runtime.setCurrentIndex(dialog.runtime.findData("onnx-int8"))
    dialog.max_cores.setValue(2)
    dialog.low_priority.setChecked(False)
    dialog.chroma_url.server.setChecked(True)
    dialog.chroma_url.url.setText("http://localhost:8123")
    dialog.max_file_bytes.setValue(200)  # KB
    dialog.extra_excludes.setPlainText("docs/generated/\n*.min.js\n")
    assert dialog.git_token_hosts.text() == "github.com"  # the default scope of the git token
    dialog.git_token_hosts.setText("GitHub.com, git.example.org")
    assert dialog.trusted_git_hosts.text() == "" and not dialog.worker_allow_ssh.isChecked()  # cloud jobs: public https only
    dialog.trusted_git_hosts.setText("Git.Intranet.example, 192.168.1.20")
    dialog.worker_allow_ssh.setChecked(True)
    dialog.save()
    assert not dialog.isVisible()

    stored = json.loads((pharos_home / "settings.json").read_text())
    assert stored["api_url"] == "https://pharos.example.org" and stored["device"] == "cpu"
    assert stored["batch_size"] == 16 and stored["chroma_url"] == "http://localhost:8123"
    assert stored["max_file_bytes"] == 200 * 1024 and stored["extra_excludes"] == ["docs/generated/", "*.min.js"]
    assert stored["runtime"] == "onnx-int8" and stored["max_cores"] == 2 and stored["low_priority"] is False
    assert window.workspace.settings.batch_size == 16
    assert stored["git_token_hosts"] == ["github.com", "git.example.org"]
    assert stored["trusted_git_hosts"] == ["git.intranet.example", "192.168.1.20"] and stored["worker_allow_ssh"]
    assert memory_keyring.store[(secrets.SERVICE, secrets.CLOUD_TOKEN)] == TOKEN
    assert files_containing(pharos_home, TOKEN) == []

    again = window.open_settings()  # shows what was saved; the token only as its mask
    assert again.api_url.text() == "https://pharos.example.org" and again.batch_size.value() == 16
    assert again.device.currentData() == "cpu" and again.chroma_url.server.isChecked()
    assert again.runtime.currentData() == "onnx-int8" and again.max_cores.value() == 2
    assert not again.low_priority.isChecked()
    assert again.trusted_git_hosts.text() == "git.intranet.example, 192.168.1.20" and again.worker_allow_ssh.isChecked()
    # the keyring is read off the UI thread: the mask shows once it answered
    qtbot.waitUntil(lambda: again.cloud_token.placeholderText().endswith("9876 (type to replace)"))
    assert again.cloud_token.text() == ""
    assert TOKEN not in again.cloud_token.placeholderText()
    qtbot.keyClick(again, Qt.Key.Key_Escape)  # Esc cancels
    assert not again.isVisible()

    bad = window.open_settings()
    bad.chroma_url.url.setText("")
    bad.save()  # server mode without a URL: explained, not saved
    assert bad.isVisible() and "Chroma" in bad.error.text()
    bad.reject()


def test_a_value_the_dialog_cannot_show_exactly_is_saved_as_it_was(qtbot, window):
    dialog = window.open_settings()
    assert window.workspace.settings.max_file_bytes == 1_000_000  # the default: 976.6 KB
    assert dialog.max_file_bytes.value() == 976
    assert dialog.edited_settings().max_file_bytes == 1_000_000  # not 976 * 1024 = 999,424
    dialog.max_file_bytes.setValue(500)
    assert dialog.edited_settings().max_file_bytes == 500 * 1024
    dialog.reject()


def test_without_a_keyring_the_token_is_kept_for_this_run_only(qtbot, window, pharos_home):
    import keyring

    keyring.set_keyring(fail.Keyring())
    dialog = window.open_settings()
    qtbot.waitUntil(lambda: "No system keyring" in dialog.keyring_note.text())
    qtbot.keyClicks(dialog.cloud_token, TOKEN)
    dialog.save()
    assert dialog.kept_in_memory and secrets.get_secret(secrets.CLOUD_TOKEN) == TOKEN
    assert files_containing(pharos_home, TOKEN) == []


def test_window_layout_is_remembered(qtbot, window, tmp_path):
    window.resize(1000, 700)
    window.activity_dock.hide()
    close_window(qtbot, window)
    again = open_window(qtbot, tmp_path)
    try:
        assert (again.width(), again.height()) == (1000, 700)
        assert not again.activity_dock.isVisible()
    finally:
        close_window(qtbot, again)


def test_diagnostics_are_computed_off_the_ui_thread(qtbot, window):
    dialog = window.open_diagnostics()
    assert "Checking" in dialog.body.toPlainText()  # shown at once, before torch is imported
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=SLOW)
    text = dialog.body.toPlainText()
    assert dialog.report["log_file"] in text and "all-MiniLM-L6-v2" in text
    assert "Runtime" in text and cpu_graph_runtime(str(bundled_model_path())) in text  # this CPU's runtime
    dialog.reject()


def test_sync_publishes_to_the_cloud_with_progress(qtbot, window, tmp_path, memory_keyring):
    server = CloudServer(token=TOKEN).start()
    try:
        card = ingest(qtbot, window, make_sample_repo(tmp_path / "sample"))
        assert card.state == "done"
        dialog = window.open_settings()
        dialog.api_url.setText(server.url)
        qtbot.keyClicks(dialog.cloud_token, TOKEN)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "connected" in dialog.test_result.text(), timeout=30_000)
        dialog.save()

        qtbot.waitUntil(lambda: window.repo_list.topLevelItemCount() == 1, timeout=10_000)
        qtbot.waitUntil(lambda: window.repo_list.topLevelItem(0).text(7) == "not synced", timeout=10_000)
        window.sync_action.trigger()
        sync_job = window.queue.active("sync")
        assert sync_job is not None and not window.sync_action.isEnabled()
        sync_card = window.activity.cards[sync_job.job_id]
        assert set(sync_card.bars) == {"connect", "plan", "upload"}
        qtbot.waitUntil(lambda: not window.busy and sync_card.state != "running", timeout=60_000)
        assert sync_card.state == "done", sync_card.result.text()
        assert "created" in sync_card.result.text()
        qtbot.waitUntil(lambda: window.repo_list.topLevelItem(0).text(7).startswith("synced"), timeout=10_000)
        assert len(server.resources) == window.repo_list.repos[window.repo_list.selected_repo_id()].files
        tree = window.file_tree
        qtbot.waitUntil(lambda: tree._items and all(item.text(2) == "synced" for item in tree._items.values()),
                        timeout=10_000)
    finally:
        server.stop()


def test_a_running_sync_can_be_cancelled(qtbot, window, tmp_path, memory_keyring):
    server = CloudServer(token=TOKEN).start()
    server.latency = 0.1  # slow enough to cancel mid-upload
    try:
        assert ingest(qtbot, window, make_sample_repo(tmp_path / "sample")).state == "done"
        window.workspace.settings.api_url = server.url
        window.workspace.settings.sync_concurrency = 1
        secrets.set_secret(secrets.CLOUD_TOKEN, TOKEN)
        window.start_sync(None)
        card = window.activity.cards[window.queue.active("sync").job_id]
        qtbot.waitUntil(lambda: card.bars["upload"].value() >= 2, timeout=60_000)
        qtbot.mouseClick(card.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not window.busy and card.state == "cancelled", timeout=10_000)
        assert window.sync_action.isEnabled() and card.resume_button.isVisible()
        # Resume runs the same sync again, on the same card, as for an ingest
        qtbot.mouseClick(card.resume_button, Qt.MouseButton.LeftButton)
        assert not window.sync_action.isEnabled()
        qtbot.waitUntil(lambda: not window.busy and card.state != "running", timeout=60_000)
        assert card.state == "done" and "0 failed" in card.result.text(), card.result.text()
        assert len(window.activity.cards) == 2  # the ingest's and this sync's: resuming made no new card
    finally:
        server.stop()


def test_the_settings_read_the_keyring_off_the_ui_thread(qtbot, window, memory_keyring, monkeypatch):
    memory_keyring.set_password(secrets.SERVICE, secrets.CLOUD_TOKEN, TOKEN)
    read_on_ui_thread: list[bool] = []
    stored = memory_keyring.get_password

    def recorded(service: str, username: str) -> str | None:  # a keyring can take seconds (a locked session bus)
        read_on_ui_thread.append(threading.current_thread() is threading.main_thread())
        return stored(service, username)

    monkeypatch.setattr(memory_keyring, "get_password", recorded)
    dialog = window.open_settings()
    qtbot.waitUntil(lambda: dialog.cloud_token.placeholderText().endswith("9876 (type to replace)"))
    note = dialog.keyring_note.text()
    dialog.reject()
    assert read_on_ui_thread and not any(read_on_ui_thread)
    assert note == "Tokens are stored in the system keyring, never in a file."
