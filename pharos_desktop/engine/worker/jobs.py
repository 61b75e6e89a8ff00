"""The cloud's job records as they sit in its Redis (shared/pharos-cloud-api.md, "Cloud jobs"), and what the
worker writes back: a status key per task and an entry in the public history list."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from ..events import CloudJobSummary

INGEST_QUEUE = "ingest_queue"  # repositories submitted through the cloud's ingest route
FETCH_QUEUE = "pharos:tasks"  # one fetch job per created resource, capped at 10 by the cloud
HISTORY = "pharos:history"
HISTORY_KEEP = 1000
STATUS_SECONDS = 86400


def status_key(task_id: str) -> str:
    return f"pharos:task:{task_id}:status"


@dataclass(frozen=True)
class CloudJob:
    raw: str  # the exact text in the list: removing it (LREM) needs it byte for byte
    task_id: str
    repo_url: str
    branch: str | None
    submitted_at: float | None  # unix seconds
    ttl: float | None

    @classmethod
    def parse(cls, raw: str) -> "CloudJob":
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return cls(raw, "", "", None, None, None)
        submitted = _number(data.get("submitted_at_unix"))
        if submitted is None and isinstance(data.get("submitted_at"), str):
            try:  # the cloud writes a naive ISO time in its own zone; UTC is the best reading we have
                submitted = datetime.fromisoformat(data["submitted_at"]).replace(tzinfo=timezone.utc).timestamp()
            except ValueError:
                submitted = None
        branch = data.get("branch")
        return cls(raw, str(data.get("task_id") or ""), str(data.get("repo_url") or ""),
                   branch if isinstance(branch, str) and branch else None, submitted, _number(data.get("ttl")))

    @property
    def valid(self) -> bool:
        return bool(self.task_id and self.repo_url)

    def expired(self, now: float | None = None) -> bool:
        if self.submitted_at is None or self.ttl is None:
            return False
        return (now if now is not None else time.time()) > self.submitted_at + self.ttl


def history_entry(outcome: CloudJobSummary) -> str:
    """The cloud serves these at GET /api/v1/ingestion/jobs/history."""
    return json.dumps({
        "repo_url": outcome.repo_url, "status": outcome.status, "duration_seconds": round(outcome.seconds, 2),
        "files_processed": outcome.files, "embeddings_generated": outcome.chunks,
        "timestamp": datetime.fromtimestamp(outcome.finished_at, timezone.utc).replace(tzinfo=None).isoformat(),
        "error": outcome.reason or None, "reason": outcome.reason or None, "task_id": outcome.task_id,
        "worker": "pharos-desktop"})


def fetch_job_resource(raw: str) -> tuple[str, str]:
    """(resource id, task id) of a ``pharos:tasks`` entry; empty strings when it is not one."""
    try:
        data = json.loads(raw)
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("resource_id") or ""), str(data.get("task_id") or "")


def _number(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
