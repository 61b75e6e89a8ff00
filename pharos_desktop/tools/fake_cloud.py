"""A fake Pharos cloud on 127.0.0.1 that follows the real service (shared/pharos-cloud), with fault injection.

Tests of sync run against the real service (tests/real_cloud.py); this server is for what the real one
cannot do on demand: dropped connections, 5xx/429 storms, latency, cold starts, hostile answers. Where
the two disagree, the real one is right. Like the real service: rows stay ``pending`` (no worker), so a
repeated POST of an existing URL answers ``202`` with that row; every accepted POST pushes a fetch job
onto a queue capped at ``max_queue`` (10) that nothing drains unless a test calls ``drain_queue``; a
create meeting a full queue commits its row, then answers ``500 Failed to queue ingestion``; listings
are newest first; a ``language`` longer than 16 characters is a ``500``.

Tests reach in under ``server.lock``: ``server.resources`` (id -> row), ``server.chunks`` (id -> list),
``server.counts[(method, route)]`` with routes like ``/api/resources/{id}``. Fault helpers are
thread-safe and apply to the next matching requests.

It lives in the package, not in tests/, because the screenshot tool (tools/screenshots.py) shows a sync
against it from a checkout, an installed wheel and the bundle alike. It only runs when a test or that
tool starts it.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit, urlunsplit

PUBLIC = ("/health", "/docs", "/openapi.json")
UPDATABLE = ("title", "description", "creator", "publisher", "contributor", "type", "format", "identifier", "source",
             "language", "coverage", "rights", "subject", "relation", "classification_code", "read_status",
             "quality_score")
READ_STATUS = ("unread", "in_progress", "completed", "archived")
_ID = re.compile(r"/[0-9a-fA-F-]{8,}$|/[^/]+$")


@dataclass
class Fault:
    remaining: int
    action: str  # "drop" (close before handling) | "drop_after" (handle, then close) | "status"
    method: str | None = None
    path: str | None = None  # substring of the request path
    match: Callable[[dict], bool] | None = None  # on the JSON body
    status: int = 500
    detail: object = "Internal server error"
    retry_after: str | None = None


class CloudServer:
    def __init__(self, token: str = "test-token", mode: str = "pharos") -> None:
        self.token = token
        self.mode = mode  # "pharos" | "html" (a web page everywhere) | "other_api" (JSON, but no Pharos routes)
        self.lock = threading.RLock()
        self.resources: dict[str, dict] = {}
        self.chunks: dict[str, list[dict]] = {}
        self.counts: Counter = Counter()
        self.log: list[tuple[str, str, object]] = []  # (method, path, JSON body) of every request, in order
        self.latency = 0.0
        self.cold_until = 0.0
        self.queue_down_left = 0
        self.queue_down_status = 500
        self.max_queue = 10  # MAX_QUEUE_SIZE, as deployed
        self.fetch_queue: list[str] = []  # resource ids whose fetch job waits for a worker
        self._created = 0  # a tie-breaker for rows created within the same second
        self._faults: list[Fault] = []
        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.app = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="cloud-server",
                                        daemon=True)

    def start(self) -> "CloudServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- controls for tests -------------------------------------------------------------------

    def cold_start(self, seconds: float) -> None:
        """Requests arriving in the next ``seconds`` hang until then (Render waking a sleeping service)."""
        with self.lock:
            self.cold_until = time.monotonic() + seconds

    def drop(self, n: int = 1, method: str | None = None, path: str | None = None, after: bool = False,
             match: Callable[[dict], bool] | None = None) -> None:
        with self.lock:
            self._faults.append(Fault(n, "drop_after" if after else "drop", method, path, match))

    def fail(self, n: int = 1, status: int = 500, method: str | None = None, path: str | None = None,
             detail: object = "Internal server error", retry_after: str | None = None,
             match: Callable[[dict], bool] | None = None) -> None:
        with self.lock:
            self._faults.append(Fault(n, "status", method, path, match, status, detail, retry_after))

    def queue_down(self, n: int = 1, status: int = 500) -> None:
        """The next ``n`` creates commit their row, then answer 500 'Failed to queue ingestion' (or 503)."""
        with self.lock:
            self.queue_down_left, self.queue_down_status = n, status

    def drain_queue(self) -> int:
        """What a worker does: take every waiting fetch job."""
        with self.lock:
            taken, self.fetch_queue = len(self.fetch_queue), []
            return taken

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
            self.latency, self.cold_until, self.queue_down_left = 0.0, 0.0, 0

    def count(self, method: str, route: str) -> int:
        with self.lock:
            return self.counts[(method, route)]

    def total_requests(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.log.clear()

    def _take_fault(self, method: str, path: str, body: dict) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if (fault.remaining > 0 and (fault.method is None or fault.method == method)
                        and (fault.path is None or fault.path in path)
                        and (fault.match is None or (isinstance(body, dict) and fault.match(body)))):
                    fault.remaining -= 1
                    return fault
        return None

    # -- the API --------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, body, headers) -> tuple[int, object, dict]:
        if self.mode == "html":
            return 200, "<!doctype html><html><body>Welcome</body></html>", {}
        if path == "/health":
            if self.mode == "other_api":
                return 200, {"status": "ok"}, {}
            return 200, {"status": "healthy", "service": "pharos-api"}, {}
        if not (path in PUBLIC or path.startswith("/api/v1/ingestion/health")):
            auth = headers.get("Authorization", "")
            if not auth.startswith("Bearer "):
                return 401, {"detail": "Not authenticated"}, {"WWW-Authenticate": "Bearer"}
            if auth[len("Bearer "):] != self.token:
                return 401, {"detail": "Invalid authentication token"}, {"WWW-Authenticate": "Bearer"}
        if self.mode == "other_api":
            return 404, {"detail": "Not Found"}, {}
        parts = path.rstrip("/").split("/")
        with self.lock:
            if path.rstrip("/") == "/api/resources":
                return self._create(body) if method == "POST" else self._list(query) if method == "GET" else _405()
            if len(parts) == 4 and path.startswith("/api/resources/"):
                return {"GET": self._get, "PUT": self._update, "DELETE": self._delete}.get(
                    method, lambda *_: _405())(parts[3], body)
            if path.rstrip("/") == "/chunks":
                return self._add_chunk(body) if method == "POST" else self._list_chunks(query)
            if len(parts) == 3 and path.startswith("/chunks/") and method == "GET":
                found = [c for rows in self.chunks.values() for c in rows if c["id"] == parts[2]]
                return (200, found[0], {}) if found else (404, {"detail": "Chunk not found"}, {})
        return 404, {"detail": "Not Found"}, {}

    def _create(self, body) -> tuple[int, object, dict]:
        if not isinstance(body, dict):
            return _422("body", "Input should be a valid dictionary")
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or "://" == url[-3:]:
            return _422("url", "Input should be a valid URL")
        url = normalize(url)
        if len(body.get("language") or "") > 16:
            return 500, {"detail": "Internal server error"}, {}
        same = [row for row in self.resources.values() if row["source"] == url]
        if len(same) > 1:  # the real service's catch-all turns its lookup error into this
            return 500, {"detail": "Failed to queue ingestion"}, {}
        if same:
            row, status = same[0], (202 if same[0]["ingestion_status"] == "pending" else 200)
        else:
            self._created += 1
            stamp = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat()
            row = {"id": str(uuid.uuid4()), "url": url, "source": body.get("source") or url,
                   "title": body.get("title") or "Untitled", "description": body.get("description"),
                   "creator": body.get("creator"), "language": body.get("language"), "type": body.get("type"),
                   "format": None, "identifier": None, "coverage": None, "subject": [], "relation": [],
                   "created_at": stamp, "updated_at": stamp, "ingestion_status": "pending", "_order": self._created}
            self.resources[row["id"]] = row
            self.chunks[row["id"]] = []
            status = 202
        # The row is committed before the fetch job is queued; a queue that is down or full fails the POST.
        if self.queue_down_left > 0:
            self.queue_down_left -= 1
            if self.queue_down_status == 503:
                return 503, {"detail": "Service Unavailable"}, {}
            return 500, {"detail": "Failed to queue ingestion"}, {}
        if len(self.fetch_queue) >= self.max_queue:
            return 500, {"detail": "Failed to queue ingestion"}, {}
        self.fetch_queue.append(row["id"])
        return status, _brief(row), {}

    def _list(self, query) -> tuple[int, object, dict]:
        try:
            limit, offset = int(query.get("limit", 25)), int(query.get("offset", 0))
        except ValueError:
            return _422("limit", "Input should be a valid integer", "query")
        if limit > 100:
            return 500, {"detail": "Internal server error"}, {}
        if limit < 1 or offset < 0:
            return _422("limit", "Input should be greater than or equal to 1", "query")
        # Sorted by created_at (seconds), newest first by default; rows of the same second keep their creation
        # order either way, as on the real service: "newest first" is only true to the second.
        rows = sorted(self.resources.values(), key=lambda r: r["_order"])
        rows.sort(key=lambda r: r["created_at"], reverse=query.get("sort_dir", "desc") != "asc")
        for key in ("type", "language"):
            if query.get(key):
                rows = [r for r in rows if r.get(key) == query[key]]
        if query.get("q"):
            needle = query["q"].lower()
            rows = [r for r in rows if needle in (r["title"] or "").lower() or needle in (r["description"] or "").lower()]
        return 200, {"items": [_public(r) for r in rows[offset:offset + limit]], "total": len(rows)}, {}

    def _get(self, rid: str, _body=None) -> tuple[int, object, dict]:
        row = self.resources.get(rid)
        return (200, _public(row), {}) if row else (404, {"detail": "Resource not found"}, {})

    def _update(self, rid: str, body) -> tuple[int, object, dict]:
        row = self.resources.get(rid)
        if row is None:
            return 404, {"detail": "Resource not found"}, {}
        if not isinstance(body, dict):
            return _422("body", "Input should be a valid dictionary")
        if "read_status" in body and body["read_status"] not in READ_STATUS:
            return _422("read_status", "Input should be 'unread', 'in_progress', 'completed' or 'archived'")
        if len(body.get("language") or "") > 16:
            return 500, {"detail": "Internal server error"}, {}
        for key in UPDATABLE:
            if key in body:
                row[key] = [s.title() for s in body[key]] if key == "subject" else body[key]
        row["updated_at"] = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat()
        return 200, _public(row), {}

    def _delete(self, rid: str, _body=None) -> tuple[int, object, dict]:
        if self.resources.pop(rid, None) is None:
            return 404, {"detail": "Resource not found"}, {}
        self.chunks.pop(rid, None)  # the foreign key cascades
        return 204, None, {}

    def _add_chunk(self, body) -> tuple[int, object, dict]:
        if not isinstance(body, dict) or not isinstance(body.get("content"), str):
            return _422("content", "Field required")
        if not isinstance(body.get("chunk_index"), int) or body["chunk_index"] < 0:
            return _422("chunk_index", "Input should be greater than or equal to 0")
        try:
            rid = str(uuid.UUID(str(body.get("resource_id"))))
        except ValueError:
            return 400, {"detail": "Invalid resource ID format"}, {}
        if rid not in self.resources:
            return 404, {"detail": "Resource not found"}, {}
        rows = self.chunks[rid]
        chunk = {"id": str(uuid.uuid4()), "resource_id": rid, "content": body["content"], "chunk_index": len(rows),
                 "chunk_metadata": body.get("chunk_metadata") or {}, "created_at": time.time()}
        rows.append(chunk)
        return 201, dict(chunk, content=_preview(chunk["content"])), {}

    def _list_chunks(self, query) -> tuple[int, object, dict]:
        rows = self.chunks.get(query.get("resource_id", ""), [])
        limit, offset = int(query.get("limit", 100)), int(query.get("offset", 0))
        newest_first = rows[::-1]  # ordered by created_at, descending
        items = [dict(c, content=_preview(c["content"])) for c in newest_first[offset:offset + limit]]
        return 200, {"items": items, "total": len(rows), "limit": limit, "offset": offset}, {}


def normalize(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, parts.fragment))


def route_of(path: str) -> str:
    if path.startswith("/api/resources/") or path.startswith("/chunks/"):
        return _ID.sub("/{id}", path.rstrip("/"))
    return path


def _preview(content: str) -> str:
    return content[:200] + "..." if len(content) > 200 else content


def _brief(row: dict) -> dict:
    return {"id": row["id"], "status": "pending", "title": row["title"], "ingestion_status": row["ingestion_status"]}


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")} | {"url": row["source"]}


def _422(field: str, message: str, where: str = "body") -> tuple[int, object, dict]:
    return 422, {"detail": [{"type": "value_error", "loc": [where, field], "msg": message}]}, {}


def _405() -> tuple[int, object, dict]:
    return 405, {"detail": "Method Not Allowed"}, {}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # a client that hung up (cancel, kill) is normal
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body are separate writes: without this, Nagle + delayed ACK add ~40 ms per answer.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args) -> None:  # quiet test output
        pass

    def _serve(self) -> None:
        app: CloudServer = self.server.app  # type: ignore[attr-defined]
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with app.lock:
            app.counts[(self.command, route_of(split.path))] += 1
            app.log.append((self.command, self.path, body))
            wait = max(0.0, app.cold_until - time.monotonic()) + app.latency
        if wait:
            time.sleep(wait)
        fault = app._take_fault(self.command, split.path, body)
        if fault and fault.action == "drop":
            self.close_connection = True
            return
        if fault and fault.action == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return self._send(fault.status, {"detail": fault.detail}, headers)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        status, payload, headers = app.handle(self.command, split.path, query, body, self.headers)
        if fault and fault.action == "drop_after":
            self.close_connection = True
            return
        self._send(status, payload, headers)

    def _send(self, status: int, payload, headers: dict) -> None:
        if isinstance(payload, str):
            data, kind = payload.encode(), "text/html; charset=utf-8"
        else:
            data, kind = (b"" if payload is None else json.dumps(payload).encode()), "application/json"
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _serve
