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

Everything that arrives from the queue or the cloud is hostile input (docs/security.md, "Cloud jobs"):
- a job's URL goes through ``admission.admit`` before git sees it (never a path, never this machine's
  networks) and is shown and written back only without credentials;
- a record that cannot be read fails as a job and is moved aside to a dead-letter list, never a crash;
- one worker per data folder (an OS lock, held for the whole run): only its holder recovers the
  processing list;
- every wait is bounded and cancellable: a queue command, the heartbeat (through the sync's own client:
  an overall deadline, no redirects, a small answer cap), so a first SIGTERM ends the worker in seconds;
- a full disk fails the job at hand with one line and holds the worker back until space is freed.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import shutil
import socket
import sqlite3
import time
import uuid
from dataclasses import dataclass, field, replace

from ... import __version__
from ..run.cancel import CancelToken
from ..errors import Cancelled, CloudError, DiskFull, PharosError
from ..run.events import CloudJobSummary, Emit, JobFinished, WorkerStatus
from ..ingest import Ingestor
from ..run.task import Task
from ..run.repo_lock import worker_lock
from ..settings import data_folder
from ..states import JobKind, WorkerActivity
from ..sync import Syncer
from ..sync.client import AuthRefused, CloudClient, Transient
from ..sync.tables import SyncTables
from .admission import Admitted, admit
from .cloud_job import (DEAD_LETTERS, DEAD_LETTERS_KEEP, FETCH_QUEUE, HISTORY, HISTORY_KEEP, INGEST_QUEUE,
                        STATUS_SECONDS, CloudJob, dead_letter, fetch_job_resource, history_entry, status_key)
from .queue import QUEUE_TIMEOUT, Queue, QueueError, UnreadableValue

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60.0  # the cloud calls a worker offline after 300 s without one
IDLE_POLL = (5.0, 60.0)  # seconds between queue polls: right after work, and at most while idle
BACKOFF = (2.0, 120.0)
TICK = 1.0  # how often the local "anything published?" check and the cancel check run
ONCE_GIVE_UP = 3  # --once: consecutive connection failures before it stops with an error
RECENT = 20
WORKER_JOB = "worker"  # the job id of the worker's own events
HEARTBEAT_DEADLINE = 30.0  # seconds for the whole heartbeat, however slowly the cloud answers
HEARTBEAT_MAX_BYTES = 64 * 1024  # its answer is a few hundred bytes
FETCH_JOBS_READ = 100  # the cloud caps its fetch queue at 10; a longer one is not ours to page through
LOCK_WAIT = 15.0  # seconds a new worker waits for one that is stopping (the window replacing a background one)
MIN_FREE_BYTES = 64 * 2**20  # after a full disk, no new job until the data folder has this much free
BUSY = ("another Pharos Desktop worker is already working for this data folder ({folder}); stop it first "
        "(two would take the same jobs)")


@dataclass
class WorkerState:
    status: WorkerActivity
    reason: str = ""  # backing off / stopped: why, in one line
    current: str = ""  # working: the repository
    queue_length: int | None = None  # jobs waiting in ingest_queue, when last seen
    drained: int = 0  # fetch jobs of our own resources cleared from the cloud's queue
    recent: list[CloudJobSummary] = field(default_factory=list)  # newest first


def is_disk_full(exc: BaseException) -> bool:
    """Whether a failure (or what caused it) is a full disk: ENOSPC, SQLite's SQLITE_FULL, or a message from
    a tool that ran out of space (git, Chroma)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull):
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower():
            return True
        if "no space left on device" in str(exc).lower() or "database or disk is full" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


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
        self._sync_state = SyncTables(workspace.catalog, self.api_url)
        self._marker: tuple[int, float] | None = None
        self.requests = {"queue": 0, "cloud": 0}  # for the idle-cost figures
        self._cancel = CancelToken()  # the run's, from run(): every wait in here watches it
        self._disk_full = False  # a job failed for a full disk: take no other until space is freed

    # -- the loop ---------------------------------------------------------------------------

    def run(self, cancel: CancelToken, once: bool = False) -> list[CloudJobSummary]:
        """Until cancelled (or, with ``once``, until the queue is empty). Raises CloudError if it cannot go on."""
        if not self._token:
            raise CloudError("no cloud token is set: add it in Settings (or set PHAROS_TOKEN)")
        self._cancel = cancel
        folder = self.workspace.data_folder
        with worker_lock(folder, cancel=cancel, wait=LOCK_WAIT, busy=BUSY.format(folder=folder),
                         on_wait=lambda: self._set(status=WorkerActivity.STARTING,
                                                   reason="waiting for this data folder's other worker to stop")):
            return self._loop(cancel, once)

    def _loop(self, cancel: CancelToken, once: bool) -> list[CloudJobSummary]:
        done: list[CloudJobSummary] = []
        recovered = False
        failures = heartbeat_failures = 0
        next_heartbeat = next_poll = 0.0
        poll_delay = self.idle_poll[0]
        while not cancel.cancelled:
            try:
                now = time.monotonic()
                if now >= next_heartbeat:
                    try:
                        self._heartbeat()
                        heartbeat_failures, next_heartbeat = 0, now + self.heartbeat_seconds
                    except CloudError as exc:
                        if once or isinstance(exc, AuthRefused):
                            raise
                        # The queue is served meanwhile: a broken health route must not hold up the jobs.
                        heartbeat_failures += 1
                        next_heartbeat = time.monotonic() + self._backoff(heartbeat_failures)
                        log.warning("worker: %s", exc)
                        self._set(status=WorkerActivity.BACKING_OFF, reason=str(exc))
                if not recovered:
                    self._recover()
                    recovered = True
                self._clear_our_fetch_jobs()
                if self._disk_full and not self._space_freed(once):
                    cancel.wait(self.idle_poll[1] / 4)
                    continue
                if now >= next_poll:
                    try:
                        raw = self._call(self.queue.move_first, INGEST_QUEUE, self.processing)
                    except UnreadableValue:  # moved into our list, but its bytes cannot be decoded here
                        done.append(self._unreadable(CloudJob.parse(b""), "a job that is not UTF-8 text was not read",
                                                     cancel))
                        next_poll = 0.0
                        continue
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
            except Cancelled:
                if self.state.status == WorkerActivity.WORKING:
                    raise  # the job stays in the processing list for the next start
                break  # between jobs: a plain stop
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

    def _space_freed(self, once: bool) -> bool:
        """After a job failed for a full disk: whether there is room again for the next one."""
        folder = self.workspace.data_folder
        if shutil.disk_usage(folder).free >= MIN_FREE_BYTES:
            self._disk_full = False
            return True
        if once:
            raise DiskFull(f"disk full: free space in {folder}")
        self._set(status=WorkerActivity.BACKING_OFF,
                  reason=f"disk full: free space in {folder}; no new job until then", current="")
        return False

    def _backoff(self, failures: int) -> float:
        delay = min(self.backoff[1], self.backoff[0] * 2 ** (failures - 1))
        return delay * (0.5 + random.random() / 2)

    # -- one job ----------------------------------------------------------------------------

    def _work(self, job: CloudJob, cancel: CancelToken) -> CloudJobSummary:
        if not job.valid:
            return self._unreadable(job, job.problem, cancel)
        started = time.monotonic()
        url = job.shown_url
        self._set(status=WorkerActivity.WORKING, current=url, reason="")
        if job.expired():
            outcome = CloudJobSummary(job.task_id, url, "failed", "expired")
        else:
            self._call(self.queue.set, status_key(job.task_id), "running", STATUS_SECONDS)
            try:
                outcome = self._ingest_and_publish(job, admit(job.repo_url, self.workspace.settings), cancel)
            except Cancelled:
                raise  # left in the processing list: the next start takes it up again
            except CloudError as exc:
                if getattr(exc, "fatal", False):
                    # The cloud is unreachable or refuses us: not this repository's fault. Put it back.
                    self._call(self.queue.move_back, self.processing, INGEST_QUEUE)
                    raise
                outcome = CloudJobSummary(job.task_id, url, "failed", str(exc))
            except Exception as exc:  # noqa: BLE001 - a full disk can surface from any layer, in any shape
                if not is_disk_full(exc):
                    if isinstance(exc, PharosError):
                        outcome = CloudJobSummary(job.task_id, url, "failed", str(exc))
                    else:
                        raise
                else:
                    log.warning("worker: the disk of %s is full", self.workspace.data_folder)
                    self._disk_full = True
                    outcome = CloudJobSummary(job.task_id, url, "failed",
                                              f"disk full: free space in {self.workspace.data_folder}")
        outcome.seconds = time.monotonic() - started
        self._record(job, outcome)
        return outcome

    def _unreadable(self, job: CloudJob, problem: str, cancel: CancelToken) -> CloudJobSummary:
        """A record that is not a job we can read: failed, and moved aside (a capped copy, with why)."""
        cancel.raise_if_cancelled()
        log.warning("worker: %s", problem)
        self._call(self.queue.push_front, DEAD_LETTERS, dead_letter(job.raw, problem, self.id))
        self._call(self.queue.trim, DEAD_LETTERS, DEAD_LETTERS_KEEP)
        outcome = CloudJobSummary(job.task_id, job.shown_url, "failed", problem)
        self._record(job, outcome)
        return outcome

    def _ingest_and_publish(self, job: CloudJob, admitted: Admitted, cancel: CancelToken) -> CloudJobSummary:
        url = job.shown_url
        result = Ingestor(self.workspace).ingest(admitted.spec.location, job.branch, confine=admitted.pins,
                                                 task=Task(JobKind.INGEST, self.emit, cancel))
        syncer = Syncer(self.workspace, api_url=self.api_url, token=self._token)
        summary = asyncio.run(syncer.sync(result.repo_id, task=Task(JobKind.SYNC, self.emit, cancel)))
        self._clear_our_fetch_jobs()
        if summary.failed:
            first = summary.failures[0]
            return CloudJobSummary(job.task_id, url, "failed",
                                   f"{summary.failed} files were not published (first: {first.path}: {first.message})",
                                   files=result.files, chunks=result.chunks)
        return CloudJobSummary(job.task_id, url, "completed", files=result.files, chunks=result.chunks)

    def _record(self, job: CloudJob, outcome: CloudJobSummary) -> None:
        """Status, history, then removal from the processing list: a crash before the end redoes the job."""
        if job.task_id:
            self._call(self.queue.set, status_key(job.task_id), outcome.status, STATUS_SECONDS)
        # The history is public (GET /api/v1/ingestion/jobs/history): no path of this machine goes there.
        public = replace(outcome, reason=outcome.reason.replace(str(self.workspace.data_folder),
                                                                "the worker's data folder"))
        self._call(self.queue.push_front, HISTORY, history_entry(public))
        self._call(self.queue.trim, HISTORY, HISTORY_KEEP)
        if job.raw:
            self._call(self.queue.remove, self.processing, job.raw)
        else:  # its bytes could not be had: it is the one value move_first put at the end of our list
            self._call(self.queue.drop_last, self.processing)
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
        for raw in self._call(self.queue.items, FETCH_QUEUE, FETCH_JOBS_READ):
            resource_id, task_id = fetch_job_resource(raw)
            if resource_id in ours and self._call(self.queue.remove, FETCH_QUEUE, raw):
                if task_id:
                    self._call(self.queue.set, status_key(task_id), "completed", STATUS_SECONDS)
                self.state.drained += 1
        self._marker = marker

    # -- the cloud ----------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        """Through the sync's client: one attempt under an overall deadline, no redirect, a small answer cap,
        and abandoned as soon as the run is cancelled."""
        body = {"worker_id": self.id, "version": f"pharos-desktop {__version__}",
                "embedding_model": self.workspace.settings.model, "queue_drained_count": self.state.drained}
        self.requests["cloud"] += 1

        async def beat() -> None:
            client = CloudClient(self.api_url, self._token, retries=0, max_connections=1,
                                 attempt_deadline=HEARTBEAT_DEADLINE)
            try:
                await self._cancel.result_async(client.request(
                    "POST", "/api/v1/ingestion/health/worker", json=body, retry=False, max_bytes=HEARTBEAT_MAX_BYTES))
            finally:
                await client.aclose()

        try:
            asyncio.run(beat())
        except Transient as exc:
            raise CloudError(f"the cloud did not take the worker's heartbeat ({exc})") from None

    # -- helpers ------------------------------------------------------------------------------

    def _call(self, command, *args):
        """One queue command, given up on when the run is cancelled or the queue stops answering."""
        self.requests["queue"] += 1
        try:
            return self._cancel.call(command, *args, timeout=QUEUE_TIMEOUT + 5)
        except TimeoutError:
            raise QueueError(f"the queue at {self.queue.host} did not answer within {QUEUE_TIMEOUT + 5:g} s") from None

    def _set(self, **changes) -> None:
        before, self.state = self.state, replace(self.state, **changes)
        if (before.status, before.reason, before.current, before.queue_length) != (
                self.state.status, self.state.reason, self.state.current, self.state.queue_length) or changes.get(
                "status") == WorkerActivity.STARTING:
            self.emit(WorkerStatus(WORKER_JOB, self.state.status, self.state.reason, self.state.current,
                                   self.state.queue_length, self.state.drained))
