"""Helpers that run the command line as a user does: a real `python -m pharos_desktop` process with its own
data folder, and what it leaves in its catalog and among the running processes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pharos_desktop.engine.run.processes import kill_tree


# What a command keeps of the test's Pharos settings: the run's one model cache, and no resident search process
KEPT = ("PHAROS_MODEL_CACHE", "PHAROS_NO_RESIDENT")


def cli(*args: str, home: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_") or k in KEPT}
    environment.update({"PHAROS_HOME": str(home), **(env or {})})
    return subprocess.run([sys.executable, "-m", "pharos_desktop", *args], capture_output=True, text=True,
                          env=environment, timeout=timeout)


def start_cli(*args: str, home: Path, extra: dict | None = None) -> subprocess.Popen:
    # The run's one model cache is kept: a fresh one makes the int8 graph again (minutes on a busy machine).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_") or k in KEPT}
    env.update(PHAROS_HOME=str(home), **(extra or {}))
    process = subprocess.Popen([sys.executable, "-m", "pharos_desktop", *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    STARTED.append(process)
    return process


STARTED: list[subprocess.Popen] = []  # start_cli's processes: conftest ends those a failed test left running


def end_started() -> None:
    """Kill each start_cli process still running, with what it started (it has a session of its own)."""
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            kill_tree(process)
            process.wait(30)


def query(home: Path, sql: str) -> list[tuple]:
    path = home / "catalog.sqlite"
    if not path.exists():
        return []
    try:
        with sqlite3.connect(path, timeout=1) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


def wait_until(condition, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def git_processes(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,stat,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines()
            if marker in line and "git" in line and " Z" not in line and "ps -eo" not in line]


def job_states(home: Path) -> list[str]:
    return [row[0] for row in query(home, "SELECT state FROM jobs")]
