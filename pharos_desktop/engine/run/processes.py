"""Ending a child process together with everything it started (git's ssh and index-pack, an ingest's workers)."""

from __future__ import annotations

import os
import signal
import subprocess


def kill_tree(child: subprocess.Popen) -> None:
    """End a child and everything it started in its session or process group (the child must have been
    started with ``start_new_session`` on POSIX, ``CREATE_NEW_PROCESS_GROUP`` on Windows)."""
    try:
        if os.name == "posix":
            os.killpg(child.pid, signal.SIGKILL)
        else:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(child.pid)], capture_output=True)
    except (ProcessLookupError, PermissionError, OSError):
        pass
