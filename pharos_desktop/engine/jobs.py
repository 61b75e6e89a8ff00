"""Jobs: the one way a job runs (``Job``), and the jobs table.

A job is an ingest or a sync. Its work is a plain function that takes a ``Task`` (run/task.py): the job's
id and kind, where it reports (``task.emit`` and the helpers beside it) and the token that tells it to stop. ``Job``
writes what every kind has in common, once: JobStarted, the row in the jobs table, and how the job ends
(finished with its typed summary, failed with one line for the user, cancelled). A job still 'running'
when its process died is marked 'interrupted' by the next start (``JobsTable.mark_stale_interrupted``).

The table lives in the catalog's SQLite file, beside the repositories it names, so existing data
folders keep their history; it records which process owns a job still 'running', so a live job in
another process is never taken for a dead one.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from .index.catalog import Catalog
from .errors import Cancelled, PharosError
from .run.events import JobCancelled, JobFailed, JobFinished, JobStarted, Summary
from .run.owner import Owner, is_gone, this_process
from .run.task import Task
from .states import JobKind, JobState, RepoState

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    repo_id TEXT,
    kind TEXT NOT NULL,                   -- ingest | sync (JobKind)
    request TEXT NOT NULL DEFAULT '{}',   -- what to run again on resume (source, branch)
    state TEXT NOT NULL,                  -- running | done | failed | cancelled | interrupted
    summary TEXT NOT NULL DEFAULT '{}',
    error TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    finished_at REAL
);
"""
# Added after the first release: older catalogs get them on open; their rows have no owner.
_OWNER_COLUMNS = {"owner_host": "TEXT NOT NULL DEFAULT ''", "owner_pid": "INTEGER NOT NULL DEFAULT 0",
                  "owner_started": "REAL NOT NULL DEFAULT 0"}


@dataclass(frozen=True)
class ResumableJob:
    job_id: str
    repo_id: str
    request: dict  # what the job was asked: {"source", "branch"} for an ingest
    state: str  # cancelled | interrupted


class JobsTable:
    """What ran, how it ended, what can be resumed. Writes go through the catalog's write transaction."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        with catalog.writing() as conn:
            conn.executescript(_SCHEMA)
            present = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
            for name, declaration in _OWNER_COLUMNS.items():
                if name not in present:
                    conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {declaration}")

    def start(self, job_id: str, kind: str, repo_id: str | None, request: dict) -> None:
        owner = this_process()
        with self.catalog.writing() as conn:
            conn.execute("INSERT OR REPLACE INTO jobs (job_id, repo_id, kind, request, state, started_at, owner_host, "
                         "owner_pid, owner_started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (job_id, repo_id, kind, json.dumps(request), JobState.RUNNING, time.time(), owner.host,
                          owner.pid, owner.started))

    def finish(self, job_id: str, state: str, summary: dict | None = None, error: str = "") -> None:
        with self.catalog.writing() as conn:
            conn.execute("UPDATE jobs SET state = ?, summary = ?, error = ?, finished_at = ? WHERE job_id = ?",
                         (state, json.dumps(summary or {}), error, time.time(), job_id))

    def states(self) -> dict[str, str]:
        """job id -> state, for every job on record."""
        return dict(self.catalog.read("SELECT job_id, state FROM jobs").fetchall())

    def last_request(self, repo_id: str) -> dict:
        """What the newest ingest of this repository on record was asked ({} when none is)."""
        row = self.catalog.read("SELECT request FROM jobs WHERE repo_id = ? AND kind = ? "
                                "ORDER BY started_at DESC LIMIT 1", (repo_id, JobKind.INGEST)).fetchone()
        try:
            return json.loads(row[0]) if row else {}
        except ValueError:
            return {}

    def mark_stale_interrupted(self) -> int:
        """Jobs left 'running' by a process that is gone are interrupted; their repos can be resumed.
        A job whose process still runs (another window, a command line) is left as it is."""
        with self.catalog.writing() as conn:
            rows = conn.execute("SELECT job_id, owner_host, owner_pid, owner_started FROM jobs WHERE state = ?",
                                (JobState.RUNNING,)).fetchall()
            # a row without an owner comes from a version that did not record one: as before, it is stale
            stale = [row[0] for row in rows if not row[2] or is_gone(Owner(row[1], row[2], row[3]))]
            conn.executemany("UPDATE jobs SET state = ? WHERE job_id = ?",
                             [(JobState.INTERRUPTED, job) for job in stale])
            conn.execute("""UPDATE repos SET state = ? WHERE state = ? AND NOT EXISTS
                            (SELECT 1 FROM jobs j WHERE j.repo_id = repos.repo_id AND j.state = ?)""",
                         (RepoState.INTERRUPTED, RepoState.INGESTING, JobState.RUNNING))
            return len(stale)

    def resumable(self) -> list[ResumableJob]:
        """Ingests that stopped before their repository was ready, newest first."""
        rows = self.catalog.read(
            """SELECT j.job_id, j.repo_id, j.request, j.state FROM jobs j
               JOIN repos r ON r.repo_id = j.repo_id
               WHERE j.kind = ? AND j.state IN (?, ?) AND r.state != ?
               ORDER BY j.started_at DESC""",
            (JobKind.INGEST, JobState.CANCELLED, JobState.INTERRUPTED, RepoState.READY)).fetchall()
        return [ResumableJob(row["job_id"], row["repo_id"], json.loads(row["request"]), row["state"]) for row in rows]


def _is_cancel(exc: BaseException) -> bool:
    # asyncio is looked up, not imported: a process that never imported it cannot have its CancelledError.
    asyncio = sys.modules.get("asyncio")
    return isinstance(exc, Cancelled) or (asyncio is not None and isinstance(exc, asyncio.CancelledError))


class Job:
    """One run of a job, the same for every kind. Use it around the work::

        with Job(jobs, task) as job:
            job.start(title)                      # JobStarted: the window's card, the command line's title
            job.own(repo_id, request, on_end)     # the row in the jobs table: from here on the job is ours
            job.finish(work(task))                # JobFinished with the typed summary

    Leaving the block by an exception ends the job: Cancelled (or asyncio's) -> 'cancelled'; a PharosError
    -> 'failed' with its message; anything else -> 'failed' with one line for the user (the traceback
    goes to the log and to the event's detail) and a PharosError raised in its place.
    """

    def __init__(self, table: JobsTable, task: Task, *, secret: str = "") -> None:
        self.table = table
        self.task = task
        self.secret = secret  # never shown: blanked out of tracebacks
        self.started = False
        self._owned = False
        self._on_end: Callable[[str, str], None] | None = None

    def start(self, title: str) -> None:
        self.task.emit(JobStarted(self.task.job_id, self.task.kind, title))
        self.started = True

    def own(self, repo_id: str | None, request: dict, on_end: Callable[[str, str], None] | None = None) -> None:
        """Record the job as running. ``on_end(state, message)`` runs when it fails or is cancelled, for what
        the kind keeps beside the table (a repository's state)."""
        self.table.start(self.task.job_id, self.task.kind, repo_id, request)
        self._owned, self._on_end = True, on_end

    def finish(self, summary: Summary, ok: bool = True) -> None:
        """``ok=False``: the job ran to its end, but not all of it worked (a sync with failed files)."""
        if self._owned:
            self.table.finish(self.task.job_id, JobState.DONE if ok else JobState.FAILED, summary.as_dict())
        self.task.emit(JobFinished(self.task.job_id, summary))

    def __enter__(self) -> "Job":
        return self

    def __exit__(self, exc_type, exc: BaseException | None, tb) -> bool:
        if exc is None or not (isinstance(exc, Exception) or _is_cancel(exc)):
            return False  # done, or KeyboardInterrupt / SystemExit: not the job's to handle
        if _is_cancel(exc):
            self._end(JobState.CANCELLED, "")
            self.task.emit(JobCancelled(self.task.job_id, resumable=self.started))
            return False
        detail = "".join(traceback.format_exception(exc_type, exc, tb))
        if isinstance(exc, PharosError):
            self._fail(str(exc), detail)
            return False
        log.error("%s failed", self.task.kind, exc_info=(exc_type, exc, tb))
        first_line = next(iter(str(exc).splitlines()), "")
        message = f"{self.task.kind} failed unexpectedly: {type(exc).__name__}: {first_line}"
        self._fail(self._hidden(message), detail)
        raise PharosError(self._hidden(message)) from exc

    def _fail(self, message: str, detail: str) -> None:
        self._end(JobState.FAILED, message)
        self.task.emit(JobFailed(self.task.job_id, message, self._hidden(detail)))

    def _end(self, state: str, message: str) -> None:
        """Record how the job ended. If that write fails too (a full disk), the job's own error is what the
        caller must see: the row stays 'running' and the next start marks it interrupted."""
        if not self._owned:
            return
        try:
            self.table.finish(self.task.job_id, state, error=message)
            if self._on_end is not None:
                self._on_end(state, message)
        except Exception:  # noqa: BLE001 - secondary to the failure being reported
            log.warning("could not record how %s %s ended", self.task.kind, self.task.job_id, exc_info=True)

    def _hidden(self, text: str) -> str:
        return text.replace(self.secret, "***") if self.secret else text
