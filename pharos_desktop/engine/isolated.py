"""Ingest in a child process (`pharos-desktop ingest --events`), for the window.

torch's import and model calls hold Python's global lock for hundreds of milliseconds at a time;
in the window's process that freezes the UI. In a child process they cannot, and a crash in native
code ends the job, not the app. The child reports the engine's own events as JSON lines; cancel is
Ctrl-C (SIGINT), which the command line turns into a cooperative cancel.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import deque

from .cancel import CancelToken
from .errors import Cancelled, PharosError
from .event_codec import decode
from .events import Emit, JobCancelled, JobFailed, JobFinished
from .secrets import GIT_TOKEN, get_secret
from .workspace import Workspace


def command_line() -> list[str]:
    """How to start this program's command line: the bundle's executable, or this Python with -m."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "pharos_desktop"]


class IsolatedIngestor:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def ingest(self, source: str, branch: str | None = None, *, emit: Emit, cancel: CancelToken,
               job_id: str) -> dict:
        """Blocking, like Ingestor.ingest; returns the JobFinished summary or raises PharosError."""
        args = [*command_line(), "ingest", source, "--events", "--job-id", job_id]
        if branch:
            args += ["--branch", branch]
        env = dict(os.environ, PHAROS_HOME=str(self.workspace.root))
        token = get_secret(GIT_TOKEN)  # the child may have no keyring (or only this run's memory)
        if token:
            env["PHAROS_GIT_TOKEN"] = token
        child = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=env, text=True, encoding="utf-8", errors="replace",
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
                child.send_signal(signal.CTRL_BREAK_EVENT if os.name == "nt" else signal.SIGINT)
                return
