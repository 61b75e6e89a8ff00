"""The window's job queue: ingests and syncs alike, each with its own CancelToken.

Ingests run one at a time, in the order asked, on the serial job pool (each in a child process, so torch
never stalls the UI); a sync runs on the event loop beside them (httpx is asynchronous), one at a time.
Everything else is the same for both kinds: queued, cancelled, resumed and reported the same way.

A job keeps its id when resumed, so the activity panel shows one card per job however often it is
cancelled and resumed; the engine resumes from what the catalog already holds.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from ..engine.run.cancel import CancelToken
from ..engine.errors import PharosError
from ..engine.run.events import JobCancelled, JobFailed
from ..engine.run.task import Task, new_job_id
from ..engine.states import JobKind
from ..engine.workspace import Workspace
from . import async_tasks
from .bridge import EventBridge
from .threads import Threads

log = logging.getLogger(__name__)


@dataclass
class QueuedJob:
    job_id: str
    kind: JobKind  # an ingest or a sync
    title: str  # for the card until the engine names the job
    request: dict  # what runs again on resume: {"source", "branch"} for an ingest, {"repo"} for a sync
    cancel: CancelToken = field(default_factory=CancelToken)
    active: bool = True  # queued or running
    automatic: bool = False  # the live index's update (ui/following.py), not one the user asked for


class JobQueue(QObject):
    queued = Signal(object)  # QueuedJob, each time a job is (re)queued
    ended = Signal(object)  # QueuedJob, once it finished, failed or was cancelled
    idle = Signal()  # no job queued or running any more

    def __init__(self, workspace: Workspace, threads: Threads, bridge: EventBridge,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.threads = threads
        self.bridge = bridge
        self.by_id: dict[str, QueuedJob] = {}  # job id -> the job, oldest first
        for signal in (bridge.finished, bridge.failed, bridge.cancelled):
            signal.connect(self._job_ended)

    # -- asking for work ---------------------------------------------------------------------------

    def ingest(self, source: str, branch: str | None = None, job_id: str | None = None, *, title: str = "",
               automatic: bool = False) -> QueuedJob:
        title = title or source + (f" @ {branch}" if branch else "")
        return self._enqueue(QueuedJob(job_id or new_job_id(), JobKind.INGEST, title,
                                       {"source": source, "branch": branch or None}, automatic=automatic))

    def sync(self, repo_id: str | None = None, job_id: str | None = None) -> QueuedJob | None:
        """None while a sync is running: one at a time."""
        if self.active(JobKind.SYNC) is not None:
            return None
        title = f"Sync: {repo_id or 'all repositories'} → {self.workspace.settings.api_url}"
        return self._enqueue(QueuedJob(job_id or new_job_id(), JobKind.SYNC, title, {"repo": repo_id}))

    def resume(self, job_id: str) -> QueuedJob | None:
        job = self.by_id.get(job_id)
        if job is None or job.active:
            return None
        if job.kind == JobKind.SYNC:
            return self.sync(job.request["repo"], job_id)
        return self.ingest(job.request["source"], job.request.get("branch"), job_id)

    def remember(self, job_id: str, kind: str, title: str, request: dict) -> None:
        """A job from an earlier run (cancelled or interrupted) that can be resumed."""
        self.by_id[job_id] = QueuedJob(job_id, kind, title, request, active=False)

    def cancel(self, job_id: str) -> None:
        job = self.by_id.get(job_id)
        if job is not None and job.active:
            job.cancel.cancel()

    def cancel_all(self) -> None:
        for job in self.by_id.values():
            if job.active:
                job.cancel.cancel()

    def active(self, kind: str) -> QueuedJob | None:
        """The newest job of this kind still queued or running."""
        return next((job for job in reversed(self.by_id.values()) if job.kind == kind and job.active), None)

    @property
    def busy(self) -> bool:
        """A job the user asked for is queued or running (an automatic update is simply stopped at close)."""
        return any(job.active and not job.automatic for job in self.by_id.values())

    # -- running ---------------------------------------------------------------------------------

    def _enqueue(self, job: QueuedJob) -> QueuedJob:
        self.by_id.pop(job.job_id, None)  # a resumed job moves to the end, as the newest
        self.by_id[job.job_id] = job
        self.queued.emit(job)
        if job.kind == JobKind.SYNC:
            async_tasks.start(self.threads, lambda: self._sync(job), lambda _summary: None,
                              lambda exc: self._crashed(job, exc))
        else:
            self.threads.ingests.submit(self._ingest, job)
        return job

    def _ingest(self, job: QueuedJob) -> None:
        """On the job thread."""
        if job.cancel.cancelled:  # cancelled while still queued: never started
            self.bridge.emit(JobCancelled(job.job_id, resumable=True))
            return
        from ..engine.isolated import IsolatedIngestor

        try:
            # In a child process: torch and the model never hold this process's lock, so the UI never stalls.
            IsolatedIngestor(self.workspace).ingest(job.request["source"], job.request.get("branch"),
                                                    task=self._task(job))
        except Exception as exc:  # noqa: BLE001 - reported below
            self._crashed(job, exc)

    async def _sync(self, job: QueuedJob):
        from ..engine.sync import Syncer

        return await Syncer(self.workspace).sync(job.request["repo"], task=self._task(job))

    def _task(self, job: QueuedJob) -> Task:
        return Task(job.kind, self.bridge.emit, job.cancel, job.job_id)

    def _crashed(self, job: QueuedJob, exc: BaseException) -> None:
        """The engine reports every end of a job it ran as an event (a PharosError, a cancel); anything else still
        ends the job's card, with one line."""
        if isinstance(exc, (PharosError, asyncio.CancelledError)):
            return
        log.error("%s crashed", job.kind, exc_info=exc)
        self.bridge.emit(JobFailed(job.job_id, f"{job.kind} failed unexpectedly: {exc}",
                                   "".join(traceback.format_exception(exc))))

    def _job_ended(self, event) -> None:
        job = self.by_id.get(event.job_id)
        if job is not None and job.active:
            job.active = False
            self.ended.emit(job)
        if not self.busy:
            self.idle.emit()
