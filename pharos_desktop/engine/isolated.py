"""Ingest in a child process (`pharos-desktop ingest --events`), for the window.

torch's import and model calls hold Python's global lock for hundreds of milliseconds at a time;
in the window's process that freezes the UI. In a child process they cannot, and a crash in native
code ends the job, not the app. The child reports the engine's own events as JSON lines on stdout.

Cancel goes through a channel this code owns, the child's stdin: a "cancel" line, or the pipe closing
when the window goes away. No console or signal is needed (the windowed build on Windows has no
console to share). If the child has not ended a while after being asked, its process tree is killed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import deque

from .run.cancel import CANCEL_LINE, CancelToken
from .errors import Cancelled, PharosError
from .run.event_codec import decode
from .run.events import IngestSummary, JobCancelled, JobFailed, JobFinished
from .run.task import Task
from .run.processes import kill_tree
from .secrets import GIT_TOKEN, as_environment
from .source import without_credentials
from .workspace import Workspace

_KILL_AFTER = 30.0  # seconds a cancelled child may take to clean up (stop git, remove its temporary clone)


def command_line() -> list[str]:
    """How to start this program's command line: the bundle's executable, or this Python with -m."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "pharos_desktop"]


def child_env(workspace: Workspace, *secret_names: str) -> dict[str, str]:
    """A child command's environment: this data folder, and these secrets (see secrets.as_environment)."""
    return {**os.environ, "PHAROS_HOME": str(workspace.data_folder), **as_environment(*secret_names)}


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
        child = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=child_env(self.workspace, GIT_TOKEN), text=True, encoding="utf-8", errors="replace",
                                 start_new_session=(os.name == "posix"),
                                 creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
        stderr_tail: deque[str] = deque(maxlen=20)
        reader = threading.Thread(target=lambda: stderr_tail.extend(child.stderr), daemon=True)
        reader.start()
        watcher = threading.Thread(target=self._cancel_when_asked, args=(child, cancel), daemon=True)
        watcher.start()
        last = None
        for line in child.stdout:
            event = decode(line)
            if event is not None:
                last = event
                emit(event)
        child.wait()
        reader.join(timeout=2)
        if isinstance(last, JobFinished):
            return last.summary
        if isinstance(last, JobCancelled) or (cancel.cancelled and child.returncode != 0):
            if not isinstance(last, JobCancelled):
                emit(JobCancelled(job_id))
            raise Cancelled()
        if isinstance(last, JobFailed):
            raise PharosError(last.message)
        detail = "".join(stderr_tail)
        message = f"the ingest process ended unexpectedly (exit code {child.returncode})"
        emit(JobFailed(job_id, message, detail))
        raise PharosError(message)

    @staticmethod
    def _cancel_when_asked(child: subprocess.Popen, cancel: CancelToken) -> None:
        while child.poll() is None:
            if cancel.wait(0.05):
                break
        else:
            return
        try:
            child.stdin.write(CANCEL_LINE + "\n")
            child.stdin.flush()
        except OSError:
            pass  # it is already ending
        deadline = time.monotonic() + _KILL_AFTER
        while child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if child.poll() is None:
            kill_tree(child)
