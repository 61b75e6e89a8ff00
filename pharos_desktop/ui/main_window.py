"""The main window: puts the views together and wires them to the job queue and the catalog.

Layout: the URL bar on top; the repository table; below it the file tree beside tabs (Code, Search,
Overview, Map); the activity panel docked on the right. Every catalog read goes through ``threads.read``.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from ..engine.index.catalog import RepoRecord
from ..engine.catalog_repair import emptied_catalog_problem
from ..engine.run.events import STAGES
from ..engine.jobs import ResumableJob
from ..engine.model.embedder import prepare_graph
from ..engine.removal import clean_up
from ..engine.states import ACTIVE_JOB_STATES, JobKind, JobState
from ..engine.workspace import Workspace
from .activity import ActivityPanel
from .assistant_server import AssistantServer
from .bridge import EventBridge
from .cloud_jobs import CloudWork
from .code_view import CodeView
from .diagnostics import DiagnosticsDialog
from .disk_usage import DiskUsageView
from .file_tree import FileTree
from .following import Following
from .format import duration
from .icons import app_icon, sync_icon
from .job_queue import JobQueue, QueuedJob
from .live_status import StatusColumn
from .map_panel import MapPanel
from .overview import OverviewView
from .repo_list import RepoList
from .search_panel import SearchPanel
from .settings_dialog import SettingsDialog
from .sync_status import load_file_sync_states, load_sync_states
from .url_bar import UrlBar
from .window_state import restore_layout, save_layout
from .threads import Threads

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, workspace: Workspace, app_settings: QSettings | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.app_settings = app_settings or QSettings()
        self.layout_settings = QSettings(str(workspace.data_folder / "window.ini"), QSettings.Format.IniFormat)
        self.setWindowTitle("Pharos Desktop")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.threads = Threads(self)
        self.bridge = EventBridge(self)
        self.queue = JobQueue(workspace, self.threads, self.bridge, self)
        self.close_prompt: QMessageBox | None = None
        self._closing = False
        self._pending_open: tuple[str, int | None] | None = None  # (path, line) once the file tree is loaded

        self.url_bar = UrlBar()
        self.repo_list = RepoList()
        self.status_column = StatusColumn(workspace, self.threads, self.repo_list, self)
        self.status_column.rows_changed.connect(lambda repos: self._show_repos(repos, check_status=False))
        self.following = Following(workspace, self.queue, self.bridge, self)
        self.following.reported.connect(self._live_reported)
        # Followers report per repository (a first look at each, then each update) and the Status column's
        # read scans every local folder: one read per second at most, not one per report.
        self._statuses_soon = QTimer(self, singleShot=True, interval=1000)
        self._statuses_soon.timeout.connect(self.status_column.refresh)
        self.disk_usage = DiskUsageView(workspace, self.threads, self.repo_list)
        self.file_tree = FileTree()
        self.code_view = CodeView(workspace, self.threads)
        self.search_panel = SearchPanel(workspace, self.threads)
        self.overview = OverviewView(workspace, self.threads)
        self.map = MapPanel(workspace, self.threads)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.code_view, "Code")
        self.tabs.addTab(self.search_panel, "Search")
        self.tabs.addTab(self.overview, "Overview")
        self.tabs.addTab(self.map, "Map")
        self.assistant_server = AssistantServer(workspace)
        self.cloud = CloudWork(workspace, self.bridge, self)
        self.tabs.addTab(self.cloud.view, "Cloud jobs")
        self.activity = ActivityPanel()
        self._build_layout()
        self._build_actions()
        self._connect()
        restore_layout(self)
        self.statusBar().addPermanentWidget(self.disk_usage)
        self.statusBar().showMessage("Ready")
        QTimer.singleShot(0, self._startup)

    # -- construction ----------------------------------------------------------------------------

    def _build_layout(self) -> None:
        self.lower_split = QSplitter(Qt.Orientation.Horizontal)
        self.lower_split.addWidget(self.file_tree)
        self.lower_split.addWidget(self.tabs)
        self.lower_split.setStretchFactor(1, 1)
        self.lower_split.setSizes([330, 690])  # the tree wide enough for names like test_templating.py
        self.main_split = QSplitter(Qt.Orientation.Vertical)
        self.main_split.addWidget(self.repo_list)
        self.main_split.addWidget(self.lower_split)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setSizes([150, 600])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.url_bar)
        layout.addWidget(self.main_split, 1)
        self.setCentralWidget(central)
        self.activity_dock = QDockWidget("Activity")
        self.activity_dock.setObjectName("activityDock")
        self.activity_dock.setWidget(self.activity)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.activity_dock)
        self.resize(1360, 860)

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        menu.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "Go to the URL bar", self.focus_url_bar, "Ctrl+L")
        self.ingest_action = self._action(file_menu, "&Ingest", self.url_bar.submit, tip="Ingest what the URL bar names")
        self._action(file_menu, "Ingest a &folder…", self.url_bar.pick_folder, "Ctrl+O")
        file_menu.addSeparator()
        self._action(file_menu, "&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        view_menu = bar.addMenu("&View")
        self._action(view_menu, "&Search", self.focus_search, "Ctrl+F")
        self._action(view_menu, "&Code", lambda: self.tabs.setCurrentWidget(self.code_view), "Ctrl+1")
        self._action(view_menu, "&Overview", lambda: self.tabs.setCurrentWidget(self.overview), "Ctrl+3")
        self._action(view_menu, "&Map", lambda: self.tabs.setCurrentWidget(self.map), "Ctrl+4")
        view_menu.addAction(self.activity_dock.toggleViewAction())

        repo_menu = bar.addMenu("&Repository")
        self.sync_action = self._action(repo_menu, "S&ync all", lambda: self.start_sync(None), "Ctrl+Shift+S",
                                        "Publish every repository to your Pharos cloud account")
        self.sync_action.setIcon(sync_icon())
        self.sync_selected_action = self._action(repo_menu, "Sync &selected", self.sync_selected)
        self.cancel_sync_action = self._action(repo_menu, "Cancel sync", self.cancel_sync)
        self.cancel_sync_action.setEnabled(False)
        repo_menu.addSeparator()
        self.web_action = self._action(repo_menu, "Open on the &web", self.code_view.open_on_web)
        self._action(repo_menu, "&Refresh", self.refresh_repos, QKeySequence.StandardKey.Refresh)
        repo_menu.addSeparator()
        self.remove_action = self._action(repo_menu, "Re&move…", lambda: self.disk_usage.remove(self, self._disk_done),
                                          tip="Delete the selected repository's clone, vectors and index rows")
        self._action(repo_menu, "&Clean up", lambda: self.disk_usage.clean_up(self._disk_done),
                     tip="Delete temporary clones of interrupted ingests and model graphs no longer used")

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About and diagnostics", self.open_diagnostics)
        self._action(help_menu, "Open the &log folder",
                     lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.workspace.logs_dir))))

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.sync_action)
        toolbar.addAction(self.cancel_sync_action)
        toolbar.addSeparator()
        toolbar.addAction(self.web_action)
        self.web_action.setEnabled(False)

    def _connect(self) -> None:
        self.url_bar.ingest_requested.connect(self.start_ingest)
        self.repo_list.repo_selected.connect(self._repo_selected)
        self.file_tree.file_selected.connect(self._file_selected)
        self.search_panel.result_chosen.connect(self.open_hit)
        self.map.open_requested.connect(self.open_place)
        self.code_view.file_loaded.connect(lambda _p: self.web_action.setEnabled(self.code_view.web_button.isEnabled()))
        self.activity.cancel_requested.connect(self.cancel_job)
        self.activity.resume_requested.connect(self.resume_job)
        self.queue.queued.connect(self._job_queued)
        self.queue.ended.connect(self._job_ended)
        self.queue.idle.connect(self._maybe_finish_close)
        bridge = self.bridge
        bridge.started.connect(self._job_started)
        bridge.progress.connect(self._progress)
        bridge.message.connect(lambda e: self.activity.card(e.job_id).show_message(e.text))
        bridge.skipped.connect(lambda job, batch: self.activity.card(job).add_skipped([e.reason for e in batch]))
        bridge.finished.connect(self._job_finished)
        bridge.failed.connect(self._job_failed)
        bridge.cancelled.connect(self._job_cancelled)

    def _startup(self) -> None:
        """After the window is up: repositories, jobs left unfinished last time, a URL on the clipboard."""
        # Python's full collections run on whichever thread allocates, the UI thread too, and walk every object:
        # what exists now lives as long as the window, so they leave it out (a large map stalled 100-200 ms without).
        gc.freeze()
        self.url_bar.offer_clipboard()
        self.refresh_repos()
        # Ahead of the first ingest: the model's CPU graph made in the background, and leftovers swept.
        self.threads.read(lambda: prepare_graph(self.workspace.settings), lambda _started: None, lambda _exc: None)
        self.threads.read(lambda: clean_up(self.workspace), lambda _cleaned: None, lambda _exc: None)
        self.cloud.restore()
        self.serve_assistants()
        jobs = self.workspace.jobs

        def unfinished() -> list[ResumableJob]:
            jobs.mark_stale_interrupted()
            return jobs.resumable()

        self.threads.read(unfinished, self._offer_resume)

    def _offer_resume(self, jobs: list[ResumableJob]) -> None:
        seen = set()
        for job in jobs:
            if job.repo_id in seen or job.job_id in self.queue.by_id:
                continue
            seen.add(job.repo_id)
            self.queue.remember(job.job_id, JobKind.INGEST, job.request.get("source", ""), job.request)
            card = self.activity.card(job.job_id, job.request.get("source", ""))
            card.show_message(f"{job.state.capitalize()} in an earlier session: Resume continues where it stopped.")
            card.set_state(job.state)

    # -- repositories, files, code ---------------------------------------------------------------

    def refresh_repos(self) -> None:
        def load() -> tuple[list[RepoRecord], str]:
            repos = self.workspace.catalog.list_repos()
            return repos, "" if repos else emptied_catalog_problem(self.workspace)

        # A damaged catalog says so in one line (which names the file and the repair), as it does everywhere.
        self.threads.read(load, lambda loaded: self._show_repos(*loaded),
                          lambda exc: self.statusBar().showMessage(f"Cannot list the repositories: {exc}"))

    def _show_repos(self, repos: list[RepoRecord], emptied: str = "", check_status: bool = True) -> None:
        if emptied:  # not a new install: the catalog lost what the data folder still holds
            self.statusBar().showMessage(emptied[0].upper() + emptied[1:])
        self.repo_list.set_repos(repos)
        languages = sorted({lang for repo in repos for lang in repo.languages})
        self.search_panel.set_languages(languages)
        if repos and self.repo_list.selected_repo() is None:
            self.repo_list.select(repos[0].repo_id)
        ids = [repo.repo_id for repo in repos]
        self.threads.chore(lambda: load_sync_states(self.workspace, ids, self.threads.make_way),
                           self.repo_list.set_sync_states)
        if check_status:
            self.status_column.refresh()
        self.following.follow(repos)
        self.disk_usage.refresh()

    def _live_reported(self, name: str, line: str) -> None:
        self.statusBar().showMessage(f"{name}: {line}", 8000)
        if not self._statuses_soon.isActive():
            self._statuses_soon.start()

    def _disk_done(self, line: str) -> None:
        self.statusBar().showMessage(line, 15000)
        self.refresh_repos()

    def _repo_selected(self, repo: RepoRecord | None) -> None:
        self.search_panel.set_selected_repo(repo.repo_id if repo else None)
        self.overview.show_repo(repo)
        self.map.show_repo(repo)
        if repo is None:
            self.file_tree.set_files([])
            self.code_view.clear()
            return
        repo_id = repo.repo_id
        self.threads.read(lambda: self.workspace.catalog.files(repo_id), lambda files: self._show_files(repo_id, files))

    def _show_files(self, repo_id: str, files) -> None:
        if self.repo_list.selected_repo_id() != repo_id:
            return  # the user moved on to another repository meanwhile
        current = self.file_tree.selected_path()
        self.file_tree.set_files(files)
        self._load_file_sync_states(repo_id)
        target = self._pending_open or ((current, None) if current else None)
        self._pending_open = None
        if target:
            self.file_tree.select_path(target[0])
            if target[1] is not None or self.code_view.loaded is None:
                self.code_view.show_file(self.repo_list.selected_repo(), target[0], target[1])

    def _load_file_sync_states(self, repo_id: str) -> None:
        self.threads.read(lambda: load_file_sync_states(self.workspace, repo_id),
                          lambda states: self._show_file_sync_states(repo_id, states))

    def _show_file_sync_states(self, repo_id: str, states: dict) -> None:
        if self.repo_list.selected_repo_id() == repo_id:
            self.file_tree.set_sync_states(states)

    def _file_selected(self, path: str) -> None:
        repo = self.repo_list.selected_repo()
        if repo is not None:
            self.code_view.show_file(repo, path)
            self.tabs.setCurrentWidget(self.code_view)

    def open_hit(self, hit) -> None:
        """A search result: its repository selected, its file opened at its first line."""
        self.tabs.setCurrentWidget(self.code_view)
        if self.repo_list.selected_repo_id() != hit.repo_id:
            self._pending_open = (hit.path, hit.start_line)
            self.repo_list.select(hit.repo_id)
            return
        self.open_place(hit.path, hit.start_line)

    def open_place(self, path: str, line: int | None = None) -> None:
        """A file of the selected repository in the code view, at that line (a search result, a place on the map)."""
        self.tabs.setCurrentWidget(self.code_view)
        self.file_tree.select_path(path)
        self.code_view.show_file(self.repo_list.selected_repo(), path, line)

    # -- jobs ------------------------------------------------------------------------------------

    def start_ingest(self, source: str, branch: str = "") -> None:
        self.queue.ingest(source, branch or None)

    def _job_queued(self, job: QueuedJob) -> None:
        card = self.activity.card(job.job_id, job.title, STAGES[job.kind])
        card.restart()
        if not job.automatic:
            self.activity_dock.show()
        self.statusBar().showMessage(f"Queued: {job.title}")
        self._show_sync_running(self.queue.active(JobKind.SYNC) is not None)

    def _job_ended(self, job: QueuedJob) -> None:
        if job.kind != JobKind.SYNC:
            return
        self._show_sync_running(False)
        repo_id = self.repo_list.selected_repo_id()
        if repo_id:
            self._load_file_sync_states(repo_id)

    def _job_started(self, event) -> None:
        card = self.activity.card(event.job_id, event.title, STAGES[event.kind])
        if event.job_id not in self.queue.by_id:  # the cloud worker's: a cancel here would do nothing
            card.cancellable = False
            card.setToolTip("Work for your cloud: turn off \"Work for my cloud\" to stop it")
        card.set_state(JobState.RUNNING)

    def cancel_job(self, job_id: str) -> None:
        card = self.activity.find(job_id)
        if card is not None and card.state in ACTIVE_JOB_STATES:
            card.set_state(JobState.CANCELLING, "cancelling…")
        self.queue.cancel(job_id)

    def resume_job(self, job_id: str) -> None:
        self.queue.resume(job_id)

    def _progress(self, event) -> None:
        self.activity.card(event.job_id).show_progress(event)
        eta = f", about {duration(event.eta_seconds)} left" if event.eta_seconds is not None and event.total else ""
        total = f"/{event.total:,}" if event.total else ""
        self.statusBar().showMessage(f"{event.stage}: {event.done:,}{total} {event.unit}{eta}")

    def _job_finished(self, event) -> None:
        self.activity.card(event.job_id).show_finished(event.summary)
        self.statusBar().showMessage("Done", 5000)
        self.refresh_repos()

    def _job_failed(self, event) -> None:
        self.activity.card(event.job_id).show_failed(event.message, event.detail)
        self.statusBar().showMessage(f"Failed: {event.message}", 10000)
        self.refresh_repos()

    def _job_cancelled(self, event) -> None:
        self.activity.card(event.job_id).show_cancelled(event.resumable)
        self.statusBar().showMessage("Cancelled", 5000)
        self.refresh_repos()

    # -- sync ------------------------------------------------------------------------------------

    def sync_selected(self) -> None:
        repo_id = self.repo_list.selected_repo_id()
        if repo_id is None:
            QMessageBox.information(self, "Sync", "Select a repository in the list first.")
            return
        self.start_sync(repo_id)

    def start_sync(self, repo_id: str | None) -> None:
        self.queue.sync(repo_id)

    def cancel_sync(self) -> None:
        job = self.queue.active(JobKind.SYNC)
        if job is not None:
            self.cancel_job(job.job_id)

    def _show_sync_running(self, running: bool) -> None:
        for action in (self.sync_action, self.sync_selected_action):
            action.setEnabled(not running)
        self.cancel_sync_action.setEnabled(running)

    # -- dialogs, focus --------------------------------------------------------------------------

    def focus_url_bar(self) -> None:
        self.url_bar.source.setFocus()
        self.url_bar.source.selectAll()

    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.search_panel)
        self.search_panel.focus_query()

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.workspace, self.threads, self.app_settings, self)
        dialog.accepted.connect(lambda: self.statusBar().showMessage(
            "Settings saved" + (" (tokens kept for this session only: no keyring)"
                                if getattr(dialog, "kept_in_memory", False) else ""), 8000))
        dialog.accepted.connect(self.serve_assistants)
        dialog.accepted.connect(self._follow_as_set)
        dialog.open()
        return dialog

    def serve_assistants(self) -> None:
        """Serve assistants over HTTP, or stop, as the settings say; a server that cannot start says why."""
        problem = self.assistant_server.apply()
        if problem:
            self.statusBar().showMessage(problem, 15000)
        elif self.workspace.settings.mcp_http:
            QTimer.singleShot(3000, lambda: self.assistant_server.problem() and self.statusBar().showMessage(
                f"The HTTP server for assistants stopped: {self.assistant_server.problem()}", 15000))

    def _follow_as_set(self) -> None:
        self.following.enabled = self.workspace.settings.live_in_window
        self.following.follow(list(self.repo_list.repos.values()))

    def open_diagnostics(self) -> DiagnosticsDialog:
        dialog = DiagnosticsDialog(self.workspace, self.threads, self)
        dialog.open()
        return dialog

    # -- drag and drop ---------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls() or event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        data = event.mimeData()
        if data.hasUrls() and data.urls():
            url = data.urls()[0]
            self.url_bar.set_source(url.toLocalFile() if url.isLocalFile() else url.toString())
        elif data.hasText():
            self.url_bar.set_source(data.text())
        event.acceptProposedAction()

    # -- layout and closing ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.queue.busy

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.cloud.running and not self.cloud.closing_answered:
            event.ignore()
            self.cloud.ask_before_closing(self.close)
            return
        if self.busy:
            event.ignore()
            if not self._closing:
                self._ask_before_closing()
            return
        save_layout(self)
        self.assistant_server.stop()
        self.status_column.timer.stop()
        self._statuses_soon.stop()
        self.following.close()
        self.map.shutdown()
        self.threads.shutdown()
        event.accept()

    def _ask_before_closing(self) -> None:
        if self.close_prompt is not None and self.close_prompt.isVisible():
            return
        box = QMessageBox(QMessageBox.Icon.Question, "A job is running",
                          "A job is still running. Cancel it and close? Work already stored is kept, and the job "
                          "can be resumed next time.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.button(QMessageBox.StandardButton.Yes).setText("Cancel job and close")
        box.button(QMessageBox.StandardButton.No).setText("Keep working")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.finished.connect(lambda _result: self._close_answered(box.clickedButton() is yes))
        self.close_prompt = box
        box.open()

    def _close_answered(self, cancel_and_close: bool) -> None:
        if not cancel_and_close:
            return
        self._closing = True
        self.statusBar().showMessage("Cancelling, then closing…")
        self.queue.cancel_all()
        self._maybe_finish_close()

    def _maybe_finish_close(self) -> None:
        if self._closing and not self.busy:
            QTimer.singleShot(0, self.close)
