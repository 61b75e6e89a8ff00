"""Helpers for the cloud worker's tests: jobs queued as the cloud queues them, worker processes, waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx


def submit(cloud, repo_url: str) -> httpx.Response:
    """A repository submitted through the cloud's own ingest route."""
    with cloud.api() as api:
        return api.post(f"/api/v1/ingestion/ingest/{repo_url}")


def heartbeat(cloud) -> None:
    """Report a worker online, so the cloud's ingest route accepts jobs before any worker process runs."""
    with cloud.api() as api:
        api.post("/api/v1/ingestion/health/worker", json={"worker_id": "test", "version": "test",
                                                          "embedding_model": "test", "queue_drained_count": 0})


def queue_job(cloud, repo_url: str, task_id: str, submitted: float | None = None) -> None:
    """A job as the cloud's ingest route writes it (straight into Redis, to set its age or a bad URL)."""
    cloud.redis().rpush("ingest_queue", json.dumps({
        "repo_url": repo_url, "submitted_at_unix": submitted if submitted is not None else time.time(),
        "ttl": 86400, "task_id": task_id, "status": "pending"}))


def wait_for(condition, seconds: float = 120, what: str = "it") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.1)


def worker_env(cloud, pharos_home: Path, trusted: str = "127.0.0.1", **extra: str) -> dict[str, str]:
    """A worker process's environment: the data folder, the token, and (by default) the tests' git servers on
    127.0.0.1 as a trusted private git server (a queued job may name no private address otherwise)."""
    return {**os.environ, "PHAROS_HOME": str(pharos_home), "PHAROS_TOKEN": cloud.token,
            "PHAROS_TRUSTED_GIT_HOSTS": trusted, "PYTHONFAULTHANDLER": "1", **extra}


def worker_command(cloud, *extra: str, api_url: str | None = None) -> list[str]:
    return [sys.executable, "-m", "pharos_desktop", "worker", "--api-url", api_url or cloud.api_url,
            "--queue-url", cloud.redis_url, "--json", *extra]


def start_worker(cloud, pharos_home: Path, *extra: str, env: dict | None = None, name: str = "worker",
                 api_url: str | None = None) -> subprocess.Popen:
    """A worker process; its stderr goes to a file beside the data folder (read it when a test fails)."""
    log = open(pharos_home.parent / f"{name}-stderr.txt", "w")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(worker_command(cloud, *extra, api_url=api_url),
                            env=env or worker_env(cloud, pharos_home), stdout=subprocess.PIPE, stderr=log, text=True)


def stderr_of(pharos_home: Path, name: str = "worker") -> str:
    return (pharos_home.parent / f"{name}-stderr.txt").read_text(errors="replace")


def run_once(cloud, pharos_home: Path, env: dict | None = None, cwd: Path | None = None,
             timeout: float = 300) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """`worker --once --json` to the end: the process, and its one JSON line per job."""
    done = subprocess.run(worker_command(cloud, "--once"), env=env or worker_env(cloud, pharos_home), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    return done, [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
