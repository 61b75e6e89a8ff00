"""Pharos Desktop as the cloud's edge worker: it takes the repositories the user's cloud queues, ingests them
here and publishes them with the ordinary sync.

At least once: a job is moved atomically (LMOVE) from ``ingest_queue`` into this worker's own processing
list and removed from there only after its outcome is recorded, so a worker killed mid-job finds it on
its next start and puts it back at the head of the queue. A cancelled job (Ctrl-C, SIGTERM, the switch
turned off) stays in the processing list for the same reason.

Cheap when idle: one heartbeat to the cloud a minute, and a queue poll that slows from every few
seconds to once a minute while nothing arrives. The fetch jobs the cloud queued for resources this
desktop published are cleared only when the local sync state says something new was published (a
local SQLite read, free), which keeps the cloud's capped fetch queue from refusing creates.

Errors reaching the queue or the cloud back off (doubling, capped, jittered) and show as the worker's
state; a refused token stops the worker, since waiting will not fix it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
import uuid
from dataclasses import dataclass, field, replace
import httpx

from ... import __version__
from ..cancel import CancelToken
from ..errors import Cancelled, CloudError, PharosError
from ..events import CloudJobSummary, Emit, JobFinished, WorkerStatus
from ..ingest import Ingestor
from ..jobs import Task
from ..settings import data_folder
from ..states import WorkerActivity
from ..sync import Syncer
from ..sync.client import AuthRefused, redirect_message
from ..sync.state import SyncState
from .jobs import (FETCH_QUEUE, HISTORY, HISTORY_KEEP, INGEST_QUEUE, STATUS_SECONDS, CloudJob, history_entry,
                   fetch_job_resource, status_key)
from .queue import Queue, QueueError

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60.0  # the cloud calls a worker offline after 300 s without one
IDLE_POLL = (5.0, 60.0)  # seconds between queue polls: right after work, and at most while idle
BACKOFF = (2.0, 120.0)
TICK = 1.0  # how often the local "anything published?" check and the cancel check run
ONCE_GIVE_UP = 3  # --once: consecutive connection failures before it stops with an error
RECENT = 20
WORKER_JOB = "worker"  # the job id of the worker's own events


@dataclass
class WorkerState:
    status: WorkerActivity
    reason: str = ""  # backing off / stopped: why, in one line
    current: str = ""  # working: the repository
    queue_length: int | None = None  # jobs waiting in ingest_queue, when last seen
    drained: int = 0  # fetch jobs of our own resources cleared from the cloud's queue
    recent: list[CloudJobSummary] = field(default_factory=list)  # newest first


def worker_id() -> str:
    """One stable id per data folder, so a restarted worker finds its own processing list."""
    path = data_folder() / "worker-id"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    made = f"pharos-desktop-{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
    path.write_text(made, encoding="utf-8")
    return made


class CloudWorker:
    def __init__(self, workspace, queue: Queue, *, api_url: str, token: str, emit: Emit | None = None,
                 idle_poll: tuple[float, float] = IDLE_POLL,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS, backoff: tuple[float, float] = BACKOFF) -> None:
        self.workspace = workspace
        self.queue = queue
        self.api_url = api_url.strip().rstrip("/")
        self._token = token
        # Ingest and sync events of the job at hand, plus WorkerStatus and each cloud job's JobFinished (job id "worker").
        self.emit: Emit = emit or (lambda event: None)
        self.idle_poll, self.heartbeat_seconds, self.backoff = idle_poll, heartbeat_seconds, backoff
        self.id = worker_id()
        self.processing = f"pharos:worker:{self.id}:processing"
        self.state = WorkerState(WorkerActivity.STARTING)
        self._sync_state = SyncState(workspace.catalog, self.api_url)
        self._marker: tuple[int, float] | None = None
        self.requests = {"queue": 0, "cloud": 0}  # for the idle-cost figures

    # -- the loop ---------------------------------------------------------------------------

    def run(self, cancel: CancelToken, once: bool = False) -> list[CloudJobSummary]:
        """Until cancelled (or, with ``once``, until the queue is empty). Raises CloudError if it cannot go on."""
        if not self._token:
            raise CloudError("no cloud token is set: add it in Settings (or set PHAROS_TOKEN)")
        done: list[CloudJobSummary] = []
        recovered = False
        failures = 0
        next_heartbeat = next_poll = 0.0
        poll_delay = self.idle_poll[0]
        while not cancel.cancelled:
            try:
                now = time.monotonic()
                if now >= next_heartbeat:
                    self._heartbeat()
                    next_heartbeat = now + self.heartbeat_seconds
                if not recovered:
                    self._recover()
                    recovered = True
                self._clear_our_fetch_jobs()
                if now >= next_poll:
                    raw = self._call(self.queue.move_first, INGEST_QUEUE, self.processing)
                    if raw is None:
                        if once:
                            self._set(status=WorkerActivity.STOPPED, reason="the queue is empty", current="")
                            return done
                        self.state.queue_length = 0
                        self._set(status=WorkerActivity.IDLE, reason="", current="")
                        next_poll, poll_delay = now + poll_delay, min(self.idle_poll[1], poll_delay * 1.5)
                    else:
                        done.append(self._work(CloudJob.parse(raw), cancel))
                        next_poll, poll_delay = 0.0, self.idle_poll[0]
                        continue
                failures = 0
            except (QueueError, CloudError) as exc:
                if isinstance(exc, AuthRefused):
                    self._set(status=WorkerActivity.STOPPED, reason=str(exc))
                    raise
                failures += 1
                if once and failures >= ONCE_GIVE_UP:
                    self._set(status=WorkerActivity.STOPPED, reason=str(exc))
                    raise
                delay = self._backoff(failures)
                self._set(status=WorkerActivity.BACKING_OFF, reason=f"{exc}; trying again in {delay:.0f} s")
                log.warning("worker: %s", exc)
                cancel.wait(delay)
                continue
            cancel.wait(TICK)
        self._set(status=WorkerActivity.STOPPED, reason="stopped", current="")
        return done

    def _backoff(self, failures: int) -> float:
        delay = min(self.backoff[1], self.backoff[0] * 2 ** (failures - 1))
        return delay * (0.5 + random.random() / 2)

    # -- one job ----------------------------------------------------------------------------

    def _work(self, job: CloudJob, cancel: CancelToken) -> CloudJobSummary:
        started = time.monotonic()
        self._set(status=WorkerActivity.WORKING, current=job.repo_url or "(unreadable job)", reason="")
        if not job.valid:
            outcome = CloudJobSummary(job.task_id, job.repo_url, "failed", "not a job Pharos Desktop understands")
        elif job.expired():
            outcome = CloudJobSummary(job.task_id, job.repo_url, "failed", "expired")
        else:
            self._call(self.queue.set, status_key(job.task_id), "running", STATUS_SECONDS)
            try:
                outcome = self._ingest_and_publish(job, cancel)
            except Cancelled:
                raise  # left in the processing list: the next start takes it up again
            except CloudError as exc:
                if getattr(exc, "fatal", False):
                    # The cloud is unreachable or refuses us: not this repository's fault. Put it back.
                    self._call(self.queue.move_back, self.processing, INGEST_QUEUE)
                    raise
                outcome = CloudJobSummary(job.task_id, job.repo_url, "failed", str(exc))
            except PharosError as exc:
                outcome = CloudJobSummary(job.task_id, job.repo_url, "failed", str(exc))
        outcome.seconds = time.monotonic() - started
        self._record(job, outcome)
        return outcome

    def _ingest_and_publish(self, job: CloudJob, cancel: CancelToken) -> CloudJobSummary:
        result = Ingestor(self.workspace).ingest(job.repo_url, job.branch, task=Task("ingest", self.emit, cancel))
        syncer = Syncer(self.workspace, api_url=self.api_url, token=self._token)
        summary = asyncio.run(syncer.sync(result.repo_id, task=Task("sync", self.emit, cancel)))
        self._clear_our_fetch_jobs()
        if summary.failed:
            first = summary.failures[0]
            return CloudJobSummary(job.task_id, job.repo_url, "failed",
                              f"{summary.failed} files were not published (first: {first.path}: {first.message})",
                              files=result.files, chunks=result.chunks)
        return CloudJobSummary(job.task_id, job.repo_url, "completed", files=result.files, chunks=result.chunks)

    def _record(self, job: CloudJob, outcome: CloudJobSummary) -> None:
        """Status, history, then removal from the processing list: a crash before the end redoes the job."""
        if job.task_id:
            self._call(self.queue.set, status_key(job.task_id), outcome.status, STATUS_SECONDS)
        self._call(self.queue.push_front, HISTORY, history_entry(outcome))
        self._call(self.queue.trim, HISTORY, HISTORY_KEEP)
        self._call(self.queue.remove, self.processing, job.raw)
        self.state.recent = [outcome, *self.state.recent][:RECENT]
        self.emit(JobFinished(WORKER_JOB, replace(outcome, seconds=round(outcome.seconds, 2))))
        self._set(status=WorkerActivity.IDLE, current="")

    def _recover(self) -> None:
        """Put back what a crashed or cancelled run of this worker left in its processing list."""
        while self._call(self.queue.move_back, self.processing, INGEST_QUEUE) is not None:
            log.info("worker: a job left by an earlier run is back in the queue")
        self.state.queue_length = self._call(self.queue.length, INGEST_QUEUE)

    # -- the cloud's fetch queue --------------------------------------------------------------

    def _clear_our_fetch_jobs(self) -> None:
        """Remove the fetch jobs of resources this desktop published (their chunks are already there)."""
        marker = self._sync_state.publish_marker()
        if marker == self._marker:
            return
        ours = self._sync_state.resource_ids()
        for raw in self._call(self.queue.items, FETCH_QUEUE):
            resource_id, task_id = fetch_job_resource(raw)
            if resource_id in ours and self._call(self.queue.remove, FETCH_QUEUE, raw):
                if task_id:
                    self._call(self.queue.set, status_key(task_id), "completed", STATUS_SECONDS)
                self.state.drained += 1
        self._marker = marker

    # -- the cloud ----------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        body = {"worker_id": self.id, "version": f"pharos-desktop {__version__}",
                "embedding_model": self.workspace.settings.model, "queue_drained_count": self.state.drained}
        self.requests["cloud"] += 1
        try:
            response = httpx.post(f"{self.api_url}/api/v1/ingestion/health/worker", json=body, timeout=30,
                                  headers={"Authorization": f"Bearer {self._token}"}, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise CloudError(f"cannot reach the Pharos cloud at {self.api_url} ({type(exc).__name__})") from None
        if response.status_code == 401:
            raise AuthRefused("the cloud refused the token: check it in Settings")
        if response.is_redirect:
            raise CloudError(redirect_message(response.headers.get("Location", "")))
        if response.status_code != 200:
            raise CloudError(f"the cloud did not take the worker's heartbeat (HTTP {response.status_code})")

    # -- helpers ------------------------------------------------------------------------------

    def _call(self, command, *args):
        self.requests["queue"] += 1
        return command(*args)

    def _set(self, **changes) -> None:
        before, self.state = self.state, replace(self.state, **changes)
        if (before.status, before.reason, before.current, before.queue_length) != (
                self.state.status, self.state.reason, self.state.current, self.state.queue_length) or changes.get(
                "status") == WorkerActivity.STARTING:
            self.emit(WorkerStatus(WORKER_JOB, self.state.status, self.state.reason, self.state.current,
                                   self.state.queue_length, self.state.drained))
