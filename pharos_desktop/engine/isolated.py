"""Ingest in a child process (`pharos-desktop ingest --events`), for the window: run/child.py says why
and how a child runs, reports and is cancelled."""

from __future__ import annotations

from .errors import Cancelled, PharosError
from .run.child import Child, child_env, command_line
from .run.events import IngestSummary, JobCancelled, JobFailed, JobFinished
from .run.task import Task
from .secrets import GIT_TOKEN
from .source import without_credentials
from .workspace import Workspace


class IsolatedIngestor:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def ingest(self, source: str, branch: str | None = None, *, task: Task) -> IngestSummary:
        """Blocking, like Ingestor.ingest; returns its summary or raises PharosError."""
        emit, cancel, job_id = task.emit, task.cancel, task.job_id
        args = [*command_line(), "ingest", without_credentials(source), "--events", "--cancel-on-stdin",
                "--job-id", job_id]
        if branch:
            args += ["--branch", branch]
        child = Child(args, child_env(self.workspace.data_folder, GIT_TOKEN), cancel)
        last = None
        for event in child.events():
            last = event
            emit(event)
        code = child.wait()
        if isinstance(last, JobFinished):
            return last.summary
        if isinstance(last, JobCancelled) or (cancel.cancelled and code != 0):
            if not isinstance(last, JobCancelled):
                emit(JobCancelled(job_id))
            raise Cancelled()
        if isinstance(last, JobFailed):
            raise PharosError(last.message)
        message = f"the ingest process ended unexpectedly (exit code {code})"
        emit(JobFailed(job_id, message, child.stderr_tail))
        raise PharosError(message)
