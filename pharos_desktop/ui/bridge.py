"""Engine events (emitted on worker threads) -> Qt signals on the UI thread, coalesced.

The engine may report progress hundreds of times a second and skip thousands of files in a burst.
``emit`` only appends to a pending list under a lock; the UI thread drains it every FLUSH_MS,
keeping just the latest StageProgress per (job, stage) and delivering skipped files as one batch
per job, so the UI thread does a bounded amount of work per tick however fast the engine goes.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ..engine.run.events import (Event, FileSkipped, JobCancelled, JobFailed, JobFinished, JobStarted, StageMessage,
                             StageProgress)

FLUSH_MS = 100


class EventBridge(QObject):
    started = Signal(object)  # JobStarted
    progress = Signal(object)  # StageProgress (latest per stage)
    message = Signal(object)  # StageMessage
    skipped = Signal(str, list)  # job_id, [FileSkipped, ...]
    finished = Signal(object)  # JobFinished
    failed = Signal(object)  # JobFailed
    cancelled = Signal(object)  # JobCancelled
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: list[Event] = []
        self._progress_slot: dict[tuple[str, str], int] = {}  # (job, stage) -> index in _pending
        self._scheduled = False
        self._wake.connect(self._schedule, Qt.ConnectionType.QueuedConnection)

    def emit(self, event: Event) -> None:
        """Thread-safe; this is the ``emit`` callable handed to the engine."""
        with self._lock:
            if isinstance(event, StageProgress):
                key = (event.job_id, event.stage)
                slot = self._progress_slot.get(key)
                if slot is not None:
                    self._pending[slot] = event  # coalesce: only the newest numbers matter
                else:
                    self._progress_slot[key] = len(self._pending)
                    self._pending.append(event)
            else:
                self._pending.append(event)
            wake = not self._scheduled
            self._scheduled = True
        if wake:
            try:
                self._wake.emit()
            except RuntimeError:  # the window was destroyed while a job was still winding down
                pass

    def _schedule(self) -> None:
        QTimer.singleShot(FLUSH_MS, self.drain)

    def drain(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            self._progress_slot.clear()
            self._scheduled = False
        skipped: dict[str, list[FileSkipped]] = {}
        for event in pending:
            if isinstance(event, FileSkipped):
                skipped.setdefault(event.job_id, []).append(event)
                continue
            if skipped.get(event.job_id) and isinstance(event, (JobFinished, JobFailed, JobCancelled)):
                self.skipped.emit(event.job_id, skipped.pop(event.job_id))
            self._deliver(event)
        for job_id, batch in skipped.items():
            self.skipped.emit(job_id, batch)

    def _deliver(self, event: Event) -> None:
        if isinstance(event, StageProgress):
            self.progress.emit(event)
        elif isinstance(event, StageMessage):
            self.message.emit(event)
        elif isinstance(event, JobStarted):
            self.started.emit(event)
        elif isinstance(event, JobFinished):
            self.finished.emit(event)
        elif isinstance(event, JobFailed):
            self.failed.emit(event)
        elif isinstance(event, JobCancelled):
            self.cancelled.emit(event)
