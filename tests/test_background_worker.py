"""Stopping the background worker signals that worker and nothing else: not an unrelated process whose
command line says `worker`, not a process that took a dead worker's pid, not what an older version's
bare-pid file names. Real processes, real signals, the real cloud for a real worker."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from pharos_desktop.engine.worker.background import PID_FILE, background_pid, start_background, stop_background

PONG = "import sys\nfor _ in sys.stdin:\n    print('pong', flush=True)\n"


def answering(*command: str, cwd=None) -> subprocess.Popen:
    """A process that answers each line on its stdin with 'pong' (see still_alive)."""
    return subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=cwd)


def still_alive(process: subprocess.Popen) -> bool:
    """Whether the process was left alone. A SIGTERM sent before the ping is acted on before the process
    reads it (a pending signal is handled first), so a signalled process never answers: no waiting needed."""
    try:
        process.stdin.write("ping\n")
        process.stdin.flush()
    except BrokenPipeError:
        return False
    return process.stdout.readline() == "pong\n"


def record(pid_file, pid: int, started: float | None = None, host: str | None = None) -> None:
    """The pid file as start_background writes it (started None: the bare pid of earlier versions)."""
    if started is None:
        pid_file.write_text(str(pid), encoding="utf-8")
    else:
        pid_file.write_text(json.dumps({"host": host or socket.gethostname(), "pid": pid, "started": started}),
                            encoding="utf-8")


@pytest.fixture
def pid_file(pharos_home):
    pharos_home.mkdir(parents=True, exist_ok=True)
    return pharos_home / PID_FILE


def end(process: subprocess.Popen) -> None:
    process.kill()
    process.wait(timeout=30)


@pytest.mark.parametrize("file_format", ["bare pid (earlier versions)", "host, pid and start time"])
def test_an_unrelated_process_whose_command_says_worker_is_not_signalled(pid_file, file_format):
    other = answering(sys.executable, "-c", PONG, "worker")
    try:
        started = None if file_format.startswith("bare") else psutil.Process(other.pid).create_time()
        record(pid_file, other.pid, started)
        assert stop_background() is False
        assert still_alive(other)
        assert not pid_file.exists()  # the stale file is dropped
        record(pid_file, other.pid, started)
        assert background_pid() is None  # nor is the window told that a worker runs
    finally:
        end(other)


@pytest.fixture
def worker_lookalike(tmp_path):
    """A process whose command line is exactly the background worker's (`python -m pharos_desktop worker`),
    from a stand-in package that only answers pings: only the start time tells it from our worker."""
    stand_in = tmp_path / "stand-in" / "pharos_desktop"
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text("")
    (stand_in / "__main__.py").write_text(PONG)
    process = answering(sys.executable, "-m", "pharos_desktop", "worker", cwd=stand_in.parent)  # -m looks there first
    yield process
    end(process)


def test_a_pid_taken_by_another_process_is_not_signalled(pid_file, worker_lookalike):
    """The worker died and its pid went to a new process (simulated: the recorded start time is not the
    process's)."""
    started = psutil.Process(worker_lookalike.pid).create_time()
    record(pid_file, worker_lookalike.pid, started - 60)
    assert stop_background() is False
    assert still_alive(worker_lookalike)
    assert not pid_file.exists()

    record(pid_file, worker_lookalike.pid, started, host="another-machine")  # from there we cannot tell
    assert stop_background() is False and still_alive(worker_lookalike)
    assert pid_file.exists()  # not ours to drop either

    record(pid_file, worker_lookalike.pid, started)  # all of it matches: this one is signalled
    assert background_pid() == worker_lookalike.pid
    assert stop_background() is True
    assert not still_alive(worker_lookalike)


@pytest.mark.slow
def test_a_real_background_worker_is_stopped(pid_file, pharos_home, real_cloud):
    env = {**os.environ, "PHAROS_HOME": str(pharos_home), "PHAROS_TOKEN": real_cloud.token,
           "PHAROS_API_URL": real_cloud.api_url, "PHAROS_QUEUE_URL": real_cloud.redis_url}
    pid = start_background(env)
    worker = psutil.Process(pid)
    try:
        assert background_pid() == pid
        deadline = time.monotonic() + 120  # a bound on a hang, not a speed check
        while httpx.get(real_cloud.api_url + "/api/v1/ingestion/health/worker").json()["state"] != "online":
            assert worker.is_running() and time.monotonic() < deadline, (pharos_home / "logs" / "worker.log").read_text()
            time.sleep(0.5)
        assert stop_background() is True
        assert worker.wait(timeout=120) == 130  # SIGTERM: it cancelled, leaving any job for the next start
        assert background_pid() is None and not pid_file.exists()
    finally:
        if worker.is_running():
            worker.kill()
