"""The cloud's job records as they sit in its Redis (shared/pharos-cloud-api.md, "Cloud jobs"), and what the
worker writes back: a status key per task and an entry in the public history list.

Whatever sits in the queue is hostile input: a record is read only up to MAX_JOB_BYTES, must be UTF-8 JSON
(nesting cannot exhaust the stack), and its fields are taken only when they have the type and length the
cloud writes. A record that fails any of this is a job that cannot be read, never a crash. The URL a job
names is shown and written back only without the credentials it may hold (``shown_url``)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from ..run.events import CloudJobSummary

INGEST_QUEUE = "ingest_queue"  # repositories submitted through the cloud's ingest route
FETCH_QUEUE = "pharos:tasks"  # one fetch job per created resource, capped at 10 by the cloud
HISTORY = "pharos:history"
HISTORY_KEEP = 1000
STATUS_SECONDS = 86400
DEAD_LETTERS = "pharos:worker:dead"  # jobs that could not be read, with why (a capped copy of their bytes)
DEAD_LETTERS_KEEP = 100
MAX_JOB_BYTES = 64 * 1024  # the cloud's own records are under 1 KB; its URLs at most 2,048 characters
_MAX_URL = 2048
_MAX_ID = 200


def status_key(task_id: str) -> str:
    return f"pharos:task:{task_id}:status"


@dataclass(frozen=True)
class CloudJob:
    raw: str | bytes  # the exact value in the list: removing it (LREM) needs it byte for byte
    task_id: str
    repo_url: str
    branch: str | None
    submitted_at: float | None  # unix seconds
    ttl: float | None
    problem: str = ""  # why the record cannot be read as a job; "" when it can

    @classmethod
    def parse(cls, raw: str | bytes) -> "CloudJob":
        data, problem = read_record(raw)
        if data is None:
            return cls(raw, "", "", None, None, None, problem)
        submitted = _number(data.get("submitted_at_unix"))
        if submitted is None and isinstance(data.get("submitted_at"), str):
            try:  # the cloud writes a naive ISO time in its own zone; UTC is the best reading we have
                submitted = datetime.fromisoformat(data["submitted_at"]).replace(tzinfo=timezone.utc).timestamp()
            except ValueError:
                submitted = None
        task_id, repo_url, branch = (_text(data.get(key), limit) for key, limit in
                                     (("task_id", _MAX_ID), ("repo_url", _MAX_URL), ("branch", 255)))
        problem = "" if task_id and repo_url else "not a job Pharos Desktop understands (no task id or repository URL)"
        return cls(raw, task_id, repo_url, branch or None, submitted, _number(data.get("ttl")), problem)

    @property
    def valid(self) -> bool:
        return not self.problem

    @property
    def shown_url(self) -> str:
        """The repository as it may be printed, logged and written back to the cloud: no credentials."""
        from ..source.spec import redact

        return redact(self.repo_url)

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


def dead_letter(raw: str | bytes, reason: str, worker: str) -> str:
    """What is kept of a record that could not be read: why, and the start of its bytes (escaped)."""
    head = raw[:1024] if isinstance(raw, bytes) else raw[:1024].encode("utf-8", "replace")
    return json.dumps({"reason": reason, "worker": worker, "at": time.time(), "bytes": len(raw),
                       "start": head.decode("ascii", "backslashreplace")})


def fetch_job_resource(raw: str | bytes) -> tuple[str, str]:
    """(resource id, task id) of a ``pharos:tasks`` entry; empty strings when it is not one."""
    data, _ = read_record(raw)
    if data is None:
        return "", ""
    return _text(data.get("resource_id"), _MAX_ID), _text(data.get("task_id"), _MAX_ID)


def read_record(raw: str | bytes) -> tuple[dict | None, str]:
    """A queue record as a JSON object, or (None, why it cannot be read)."""
    if len(raw) > MAX_JOB_BYTES:
        return None, f"a job of {len(raw):,} bytes (more than {MAX_JOB_BYTES // 1024} KB) was not read"
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None, "a job that is not UTF-8 text was not read"
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # nesting deeper than the parser's stack is a RecursionError
        return None, "a job that is not JSON was not read"
    if not isinstance(data, dict):
        return None, "a job that is not a JSON object was not read"
    return data, ""


def _text(value, limit: int) -> str:
    """A field the cloud writes as a short string; anything else counts as missing."""
    return value if isinstance(value, str) and 0 < len(value) <= limit else ""


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):
        return None
