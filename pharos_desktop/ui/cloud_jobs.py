"""Cloud jobs: the "Work for my cloud" switch, the worker's state, and the jobs it took.

The worker runs as a child process (`pharos-desktop worker --events`), started, read and cancelled as an
ingest child is (engine/run/child.py): torch must not stall the UI thread. Its ingest and sync events go
through the event bridge, so each cloud job gets the same activity card, with the same per-stage bars, as
a local ingest; its own WorkerStatus events and the JobFinished of each cloud job (a CloudJobSummary)
drive this view.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ..engine import secrets
from ..engine.errors import KeyringUnavailable
from ..engine.run.events import CloudJobSummary, JobFinished, WorkerStatus
from ..engine.run.child import Child, child_env, command_line
from ..engine.states import WorkerActivity
from ..engine.worker.background import background_pid, start_background, stop_background
from ..engine.workspace import Workspace
from .bridge import EventBridge
from .format import duration
from .palette import ERROR, GOOD, QUIET, WARNING, styled

# the worker's own words, capitalised; idle says what it waits for
STATE_WORDS = {WorkerActivity.IDLE: "Idle, waiting for jobs"}


def worker_env(workspace: Workspace) -> dict[str, str]:
    return child_env(workspace.data_folder, secrets.CLOUD_TOKEN, secrets.QUEUE_TOKEN, secrets.GIT_TOKEN)


class CloudWorkerProcess(QObject):
    status = Signal(object)  # WorkerStatus
    job_done = Signal(object)  # CloudJobSummary
    ended = Signal(str)  # "" when stopped on purpose, else why it stopped

    def __init__(self, workspace: Workspace, bridge: EventBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.bridge = bridge
        self._child: Child | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.running

    def start(self) -> None:
        if self.running:
            return
        stop_background()  # one worker per data folder: the window's replaces a background one
        self._stopping = False
        self._child = Child([*command_line(), "worker", "--events", "--cancel-on-stdin"], worker_env(self.workspace))
        threading.Thread(target=self._read, args=(self._child,), name="pharos-cloud-worker", daemon=True).start()

    def stop(self) -> None:
        """Cancel: the job in progress stays in the worker's processing list for the next start."""
        if self.running:
            self._stopping = True
            self._child.cancel.cancel()

    def keep_working_in_background(self) -> int:
        """The window closes, the work goes on: a detached worker takes over (the job in hand restarts there)."""
        child = self._child
        self.stop()
        if child is not None:
            child.wait()  # a child that does not end soon after the cancel is killed (run/child.py)
        return start_background(worker_env(self.workspace))

    def _read(self, child: Child) -> None:
        for event in child.events():
            if isinstance(event, WorkerStatus):
                self.status.emit(event)
            elif isinstance(event, JobFinished) and isinstance(event.summary, CloudJobSummary):
                self.job_done.emit(event.summary)
            else:
                self.bridge.emit(event)
        code = child.wait()
        last = next((line for line in reversed(child.stderr_tail.splitlines()) if line.startswith("pharos-desktop: ")),
                    "")
        self.ended.emit("" if self._stopping or code in (0, 130) else
                        (last.removeprefix("pharos-desktop: ") or f"the worker stopped (exit code {code})"))


class CloudJobsView(QWidget):
    """The switch, the worker's state (starting, idle, working, backing off and why, stopped), the queue,
    recent jobs."""

    switched = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.switch = QCheckBox("Work for my cloud")
        self.switch.setToolTip("Take the repositories your Pharos cloud queues, ingest them here and publish them")
        self.switch.toggled.connect(self.switched)
        self.state = QLabel("Off")
        self.state.setWordWrap(True)
        self.current = QLabel()
        self.current.setWordWrap(True)
        self.queue = QLabel()
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(styled(QUIET))
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Finished", "Repository", "Outcome", "Took", "Why"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        top = QHBoxLayout()
        top.addWidget(self.switch)
        top.addStretch(1)
        top.addWidget(self.queue)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.state)
        layout.addWidget(self.current)
        layout.addWidget(self.hint)
        layout.addWidget(QLabel("Recent jobs"))
        layout.addWidget(self.table, 1)

    def show_off(self, background: int | None = None) -> None:
        self.state.setText(f"Working in the background (process {background})" if background else "Off")
        self.current.clear()
        self.queue.clear()

    def show_status(self, event: WorkerStatus) -> None:
        words = STATE_WORDS.get(event.status, event.status.capitalize())
        self.state.setText(f"{words}: {event.reason}" if event.reason and event.status != WorkerActivity.IDLE
                           else words)
        color = {WorkerActivity.BACKING_OFF: WARNING, WorkerActivity.STOPPED: ERROR}.get(event.status, "")
        self.state.setStyleSheet(styled(color) if color else "")
        self.current.setText(f"Now: {event.current}" if event.status == WorkerActivity.WORKING and event.current
                             else "")
        if event.queue_length is not None:
            self.queue.setText(f"{event.queue_length} waiting in the queue")

    def add_outcome(self, event: CloudJobSummary) -> None:
        self.table.insertRow(0)
        cells = [time.strftime("%H:%M:%S"), event.repo_url, event.status, duration(event.seconds), event.reason]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if column == 2:
                item.setForeground(QColor(GOOD if text == "completed" else ERROR))
            self.table.setItem(0, column, item)

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)


class CloudWork(QObject):
    """The switch's logic: start and stop the worker, remember the choice, ask before the window closes."""

    def __init__(self, workspace: Workspace, bridge: EventBridge, parent: QWidget) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.window = parent
        self.process = CloudWorkerProcess(workspace, bridge, self)
        self.view = CloudJobsView()
        self.closing_answered = False
        self.view.switched.connect(self.switch)
        self.process.status.connect(self.view.show_status)
        self.process.job_done.connect(self.view.add_outcome)
        self.process.ended.connect(self._ended)

    @property
    def running(self) -> bool:
        return self.process.running

    def restore(self) -> None:
        """At start-up: the switch as the user left it."""
        if self.workspace.settings.work_for_cloud and not self.missing():
            self._set_switch(True)
            self.process.start()
        else:
            self.view.show_off(background_pid())

    def missing(self) -> str:
        settings = self.workspace.settings
        if not settings.queue_url:
            return "Set your cloud's queue URL and its token in Settings (File → Settings), then switch this on."
        try:
            token = secrets.get_secret(secrets.CLOUD_TOKEN)
        except KeyringUnavailable as exc:
            line = str(exc)
            return f"{line[:1].upper()}{line[1:]}, or type the token in Settings (File → Settings) for this run."
        if not token:
            return "Set your cloud token in Settings (File → Settings), then switch this on."
        return ""

    def switch(self, on: bool) -> None:
        problem = self.missing() if on else ""
        self.view.set_hint(problem)
        if problem:
            self._set_switch(False)
            return
        self._remember(on)
        if on:
            self.view.show_status(WorkerStatus("worker", "starting"))
            self.process.start()
        else:
            self.process.stop()
            stop_background()
            self.view.show_off()

    def ask_before_closing(self, close_again) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Working for your cloud",
                          "Pharos Desktop is working for your cloud. Keep working in the background after the window "
                          "closes, or stop? A job in progress is picked up again the next time the worker starts.",
                          QMessageBox.StandardButton.NoButton, self.window)
        keep = box.addButton("Keep working in the background", QMessageBox.ButtonRole.AcceptRole)
        stop = box.addButton("Stop working", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)

        def answered(_result: int) -> None:
            if box.clickedButton() is keep:
                self.process.keep_working_in_background()
            elif box.clickedButton() is stop:
                self._remember(False)
                self.process.stop()
            else:
                return
            self.closing_answered = True
            close_again()

        box.finished.connect(answered)
        box.open()
        self.prompt = box

    def _ended(self, reason: str) -> None:
        if reason:  # it stopped by itself (a refused token, a queue URL it cannot use): say so, switch off
            self.view.show_status(WorkerStatus("worker", "stopped", reason))
            self._set_switch(False)

    def _remember(self, on: bool) -> None:
        settings = self.workspace.settings
        if settings.work_for_cloud != on:
            settings.work_for_cloud = on
            settings.save()

    def _set_switch(self, on: bool) -> None:
        self.view.switch.blockSignals(True)
        self.view.switch.setChecked(on)
        self.view.switch.blockSignals(False)
