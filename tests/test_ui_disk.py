"""The window's disk budget (issue 26): each repository's size in the list's Disk column and the data folder's
total in the status bar, measured off the UI thread; a cap the next ingest would pass refuses it on its card in
one line and turns the total into a warning; Remove gives the space back. Real window, real ingests."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from pharos_desktop.engine.disk import folder_bytes, measure
from pharos_desktop.engine.settings import Settings
from pharos_desktop.ui.format import size
from pharos_desktop.ui.repo_list import DISK

from .repo_factory import make_sample_repo
from .ui_support import ingest


def test_the_window_shows_sizes_warns_at_the_cap_and_removes(qtbot, window, tmp_path, monkeypatch):
    card = ingest(qtbot, window, make_sample_repo(tmp_path / "sample"))
    assert card.state == "done", card.result.text()
    qtbot.waitUntil(lambda: window.repo_list.topLevelItemCount() == 1 and window.repo_list.topLevelItem(0).text(DISK) != "",
                    timeout=10_000)
    usage = measure(window.workspace)
    assert window.repo_list.topLevelItem(0).text(DISK) == size(usage.repos[0].total)
    label = window.disk_usage
    assert label.text() == f"Data folder: {size(folder_bytes(window.workspace.data_folder))}"
    assert label.text() in [w.text() for w in window.statusBar().findChildren(type(label))]

    capped = Settings.load()
    capped.disk_cap_mb = 1
    capped.save()
    window.workspace.reload_settings()
    refused = ingest(qtbot, window, make_sample_repo(tmp_path / "second"))
    assert refused.state == "failed"
    assert "not indexed: " in refused.result.text() and "would pass its 1.0 MB cap; remove a repository" in \
        refused.result.text()
    qtbot.waitUntil(lambda: label.warning != "", timeout=10_000)
    assert label.text().endswith("of 1.0 MB — near its cap")
    assert window.repo_list.topLevelItemCount() == 1, "the refused repository left nothing in the list"

    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    window.repo_list.select(usage.repos[0].repo_id)
    window.remove_action.trigger()
    qtbot.waitUntil(lambda: window.repo_list.topLevelItemCount() == 0, timeout=30_000)
    assert window.statusBar().currentMessage().startswith("Removed sample: ")
    assert window.workspace.catalog.count_chunks() == 0
