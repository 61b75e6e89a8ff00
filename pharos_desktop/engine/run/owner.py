"""Which process a job row belongs to, and whether that process is gone.

A job left 'running' may be a live ingest in another window or command, or the remains of a killed
one. The row records the owner's host, pid and process start time; it is stale only when, on the
same host, no process with that pid and start time exists. A pid reused by a later process has a
different start time. Rows from another host are left alone: from here we cannot tell.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    started: float  # the process's start time (seconds since the epoch)


def this_process() -> Owner:
    return owner_of(os.getpid())


def owner_of(pid: int) -> Owner:
    """The running process ``pid`` on this host (psutil.NoSuchProcess if there is none)."""
    return Owner(socket.gethostname(), pid, psutil.Process(pid).create_time())


def is_gone(owner: Owner) -> bool:
    if owner.host != socket.gethostname():
        return False
    try:
        process = psutil.Process(owner.pid)
        # create_time is exact for one process; a small tolerance only absorbs float rounding in storage
        return abs(process.create_time() - owner.started) > 0.5 or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.AccessDenied:
        return False  # someone else's live process holds that pid
