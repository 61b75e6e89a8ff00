"""Ending a child process together with everything it started (git's ssh and index-pack, an ingest's workers), and
a multiprocessing child together with its parent."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import subprocess
import threading


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


def end_with_parent(exit_code: int) -> None:
    """In a multiprocessing child: end this process with ``exit_code`` as soon as its parent ends, killed or not
    (the parent's sentinel becomes ready however it ended). A pool's child otherwise waits for work forever, and a
    child writing a store would go on beside the next process to open it."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(exit_code)

    threading.Thread(target=watch, name="pharos-parent-watch", daemon=True).start()
