"""A worker that goes on after the window closes: a detached `pharos-desktop worker` that the data folder
remembers, so the next window (or the next start of the switch) finds it and can stop it.

The file records the worker's host, pid and start time (an engine.run.owner.Owner). A signal goes only to a
process that is still that one (same pid and start time: a reused pid has another) and that runs this
program's `worker` command. Anything else the file names is left alone and the file removed, including
the bare pid that earlier versions wrote: with no start time it cannot be told apart from a reused pid.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from dataclasses import asdict

import psutil

from ..run.child import command_line
from ..run.owner import Owner, is_gone, owner_of
from ..settings import data_folder

PID_FILE = "worker.pid"


def _worker_command() -> list[str]:
    return [*command_line(), "worker"]


def _worker_process() -> psutil.Process | None:
    """The background worker the file names, if it certainly is ours; a file naming anything else is removed."""
    path = data_folder() / PID_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        owner = Owner(str(data["host"]), int(data["pid"]), float(data["started"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError):  # unreadable, or an older version's bare pid
        owner = None
    if owner is not None and owner.host != socket.gethostname():
        return None  # a data folder shared with another machine: its worker is not ours to judge
    process = None
    if owner is not None:
        try:
            candidate = psutil.Process(owner.pid)
            # is_gone after taking hold of the process: the pid it holds then has the recorded start time,
            # and psutil checks that start time again before it sends a signal
            if not is_gone(owner) and candidate.cmdline() == _worker_command():
                process = candidate
        except psutil.Error:
            pass
    if process is None:
        path.unlink(missing_ok=True)
    return process


def background_pid() -> int | None:
    """The running background worker's process id, or None."""
    process = _worker_process()
    return process.pid if process else None


def start_background(env: dict[str, str]) -> int:
    """Start a detached worker (its output goes to the log folder); returns its process id."""
    logs = data_folder() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "worker.log", "ab") as out:
        flags = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        process = subprocess.Popen(_worker_command(), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                   env=env, start_new_session=os.name == "posix", creationflags=flags)
    (data_folder() / PID_FILE).write_text(json.dumps(asdict(owner_of(process.pid))), encoding="utf-8")
    return process.pid


def stop_background() -> bool:
    """Ask the background worker to stop (it leaves its job for the next start); True if one was running."""
    process = _worker_process()
    if process is None:
        return False
    try:
        process.send_signal(signal.SIGTERM if os.name == "posix" else signal.CTRL_BREAK_EVENT)
    except psutil.NoSuchProcess:
        pass  # it ended on its own meanwhile
    (data_folder() / PID_FILE).unlink(missing_ok=True)
    return True
