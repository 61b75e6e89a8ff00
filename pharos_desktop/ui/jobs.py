"""The ingest queue: one job at a time on the serial job pool, each with its own CancelToken.

A job keeps its id when resumed, so the activity panel shows one card per job however often it is
cancelled and resumed; the engine resumes from what the catalog already holds.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from ..engine.cancel import CancelToken
from ..engine.errors import PharosError
from ..engine.events import JobCancelled, JobFailed
from ..engine.workspace import Workspace
from .bridge import EventBridge
from .workers import Workers

log = logging.getLogger(__name__)


@dataclass
class IngestJob:
    job_id: str
    source: str
    branch: str | None
    token: CancelToken = field(default_factory=CancelToken)
    active: bool = True  # queued or running


class IngestQueue(QObject):
    queued = Signal(object)  # IngestJob, each time a job is (re)queued
    idle = Signal()  # no job queued or running any more

    def __init__(self, workspace: Workspace, workers: Workers, bridge: EventBridge,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.workers = workers
        self.bridge = bridge
        self.jobs: dict[str, IngestJob] = {}
        for signal in (bridge.finished, bridge.failed, bridge.cancelled):
            signal.connect(self._job_ended)

    def enqueue(self, source: str, branch: str | None = None, job_id: str | None = None) -> IngestJob:
        job = IngestJob(job_id or uuid.uuid4().hex[:12], source, branch or None)
        self.jobs[job.job_id] = job
        self.queued.emit(job)
        self.workers.jobs.submit(self._run, job)
        return job

    def resume(self, job_id: str) -> IngestJob | None:
        job = self.jobs.get(job_id)
        if job is None or job.active:
            return None
        return self.enqueue(job.source, job.branch, job_id)

    def remember(self, job_id: str, source: str, branch: str | None) -> None:
        """A job from an earlier run (cancelled or interrupted) that can be resumed."""
        self.jobs[job_id] = IngestJob(job_id, source, branch, active=False)

    def cancel(self, job_id: str) -> None:
        job = self.jobs.get(job_id)
        if job is not None and job.active:
            job.token.cancel()

    def cancel_all(self) -> None:
        for job in self.jobs.values():
            if job.active:
                job.token.cancel()

    @property
    def busy(self) -> bool:
        return any(job.active for job in self.jobs.values())

    def _run(self, job: IngestJob) -> None:
        """On the job thread. Every outcome reaches the bridge as an event, so the UI hears of it."""
        if job.token.cancelled:  # cancelled while still queued: never started
            self.bridge.emit(JobCancelled(job.job_id, resumable=True))
            return
        from ..engine.isolated import IsolatedIngestor
        from ..engine.jobs import Task

        try:
            # In a child process: torch and the model never hold this process's lock, so the UI never stalls.
            IsolatedIngestor(self.workspace).ingest(job.source, job.branch,
                                                    task=Task("ingest", self.bridge.emit, job.token, job.job_id))
        except PharosError:
            pass  # already reported as JobFailed / JobCancelled
        except Exception as exc:  # noqa: BLE001 - anything else still ends the job visibly
            log.exception("ingest crashed")
            self.bridge.emit(JobFailed(job.job_id, f"ingest failed unexpectedly: {exc}", traceback.format_exc()))

    def _job_ended(self, event) -> None:
        job = self.jobs.get(event.job_id)
        if job is not None:
            job.active = False
        if not self.busy:
            self.idle.emit()
