"""A worker that goes on after the window closes: a detached `pharos-desktop worker` whose process id is
kept in the data folder, so the next window (or the next start of the switch) finds it and can stop it."""

from __future__ import annotations

import os
import signal
import subprocess

import psutil

from ..isolated import command_line
from ..settings import data_folder

PID_FILE = "worker.pid"


def background_pid() -> int | None:
    """The running background worker's process id, or None (a stale file is removed)."""
    path = data_folder() / PID_FILE
    try:
        pid = int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    try:  # a reused process id must not be taken for our worker (and be sent a signal)
        alive = "worker" in psutil.Process(pid).cmdline()
    except psutil.Error:
        alive = False
    if not alive:
        path.unlink(missing_ok=True)
        return None
    return pid


def start_background(env: dict[str, str]) -> int:
    """Start a detached worker (its output goes to the log folder); returns its process id."""
    logs = data_folder() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "worker.log", "ab") as out:
        flags = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        process = subprocess.Popen([*command_line(), "worker"], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                   env=env, start_new_session=os.name == "posix", creationflags=flags)
    (data_folder() / PID_FILE).write_text(str(process.pid), encoding="utf-8")
    return process.pid


def stop_background() -> bool:
    """Ask the background worker to stop (it leaves its job for the next start); True if one was running."""
    pid = background_pid()
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM if os.name == "posix" else signal.CTRL_BREAK_EVENT)
    (data_folder() / PID_FILE).unlink(missing_ok=True)
    return True
