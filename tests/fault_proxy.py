"""A flaky connection for tests: an HTTP proxy on 127.0.0.1, real sockets, in front of a real server.

Per request it may answer 503 or 429 itself (with ``Retry-After``), drop the connection before forwarding,
or forward the request and then drop the connection, so the server did the work but the client never
hears of it; every request waits ``latency`` first. ``stall()`` makes it stop answering: connections are
accepted and requests read, then held with no answer until ``heal()`` or ``stop()``.

Faults are seeded, and chosen per request rather than in arrival order: a request's fault is a function of
the seed, what the request is (method, path, body, with resource ids replaced by the URL they belong to, as
learned from the answers it forwarded) and how many times that same request came before. So the same seed
puts the same faults on the same requests whatever order concurrent requests arrive in, and a request that
is retried gets a fresh draw. ``inject`` puts a given fault on the next matching requests, before any draw.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

# What a fault is called, in the log and in ``rates`` / ``inject``.
BUSY = "503"  # answered 503 with Retry-After, not forwarded
TOO_MANY = "429"  # answered 429 with Retry-After, not forwarded
DROP_BEFORE = "drop_before"  # connection closed before forwarding: the server never saw the request
DROP_AFTER = "drop_after"  # forwarded, answered by the server, then the connection closed: the answer is lost
FAULTS = (BUSY, TOO_MANY, DROP_BEFORE, DROP_AFTER)
ISSUE_RATES = {BUSY: 0.08, TOO_MANY: 0.03, DROP_BEFORE: 0.04, DROP_AFTER: 0.05}  # issue 28's connection

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "proxy-connection"}


@dataclass
class _Rule:
    fault: str
    method: str | None
    path: str | None  # a prefix of the path, without the query
    count: int


@dataclass(frozen=True)
class Seen:
    """One request the proxy handled: what it was and what was done to it ("" = forwarded as is)."""

    method: str
    path: str
    fault: str


class FaultProxy:
    def __init__(self, upstream: str, *, seed: int = 0, rates: dict[str, float] | None = None,
                 latency: float = 0.0, retry_after: str = "1") -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.seed = seed
        self.rates = dict(rates or {})
        self.latency = latency
        self.retry_after = retry_after
        self.seen: list[Seen] = []
        self._rules: list[_Rule] = []
        self._occurrences: Counter[str] = Counter()
        self._urls: dict[str, str] = {}  # resource id -> its URL, learned from answers
        self._lock = threading.Lock()
        self._stalled = threading.Event()
        self._healed = threading.Condition(self._lock)
        self._stopped = False
        self._clients: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._acceptor = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    # -- control --------------------------------------------------------------------------------

    def start(self) -> "FaultProxy":
        self._acceptor.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._stalled.clear()
            self._healed.notify_all()
            clients = list(self._clients)
        self._listener.close()
        for client in clients:
            _close(client)
        self._acceptor.join(timeout=5)

    def stall(self) -> None:
        """From now on no request is answered (nor forwarded): the server seems to hang."""
        self._stalled.set()

    def heal(self) -> None:
        """Answer again; requests held by the stall are dropped unanswered."""
        with self._lock:
            self._stalled.clear()
            self._healed.notify_all()

    def inject(self, fault: str, *, method: str | None = None, path: str | None = None, count: int = 1) -> None:
        """``fault`` on the next ``count`` requests matching ``method`` and the ``path`` prefix."""
        assert fault in FAULTS, fault
        with self._lock:
            self._rules.append(_Rule(fault, method, path, count))

    def faults(self, method: str | None = None, path: str | None = None) -> Counter[str]:
        """How many of each fault fell on the requests matching ``method`` and the ``path`` prefix."""
        with self._lock:
            return Counter(s.fault for s in self.seen if s.fault and (method is None or s.method == method)
                           and (path is None or s.path.startswith(path)))

    # -- serving --------------------------------------------------------------------------------

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed by stop()
            with self._lock:
                if self._stopped:
                    _close(client)
                    return
                self._clients.add(client)
            threading.Thread(target=self._serve, args=(client,), name="fault-proxy-conn", daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        try:
            while True:
                request = _read_request(reader)
                if request is None:
                    return
                if self._stalled.is_set():
                    self._hold()
                    return
                time.sleep(self.latency)
                fault = self._decide(*request)
                with self._lock:
                    self.seen.append(Seen(request[0], urlsplit(request[1]).path, fault))
                if fault in (BUSY, TOO_MANY):
                    client.sendall(_error_answer(int(fault), self.retry_after))
                    continue
                if fault == DROP_BEFORE:
                    return
                answer = self._forward(*request)
                if fault == DROP_AFTER:
                    return
                client.sendall(answer)
        except OSError:
            return
        finally:
            reader.close()
            with self._lock:
                self._clients.discard(client)
            _close(client)

    def _hold(self) -> None:
        with self._lock:
            while self._stalled.is_set() and not self._stopped:
                self._healed.wait()

    def _decide(self, method: str, target: str, headers: dict[str, str], body: bytes) -> str:
        path = urlsplit(target).path
        with self._lock:
            for rule in self._rules:
                if rule.count > 0 and rule.method in (None, method) and (rule.path is None or path.startswith(rule.path)):
                    rule.count -= 1
                    return rule.fault
            key = self._key(method, target, body)
            self._occurrences[key] += 1
            draw = random.Random(f"{self.seed}|{key}|{self._occurrences[key]}").random()
        for fault in FAULTS:
            draw -= self.rates.get(fault, 0.0)
            if draw < 0:
                return fault
        return ""

    def _key(self, method: str, target: str, body: bytes) -> str:
        """The request, with every resource id replaced by its URL (ids differ from run to run)."""
        parts = urlsplit(target)
        path = _UUID.sub(lambda m: self._urls.get(m.group(0), "id"), parts.path)
        query = urlencode(sorted((k, self._urls.get(v, "id") if k == "resource_id" else v)
                                 for k, v in parse_qsl(parts.query)))
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None
        if isinstance(data, dict) and "resource_id" in data:
            data = {**data, "resource_id": self._urls.get(str(data["resource_id"]), "id")}
        digest = hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest() if body else ""
        return f"{method} {path}?{query} {digest}"

    def _forward(self, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        upstream = http.client.HTTPConnection(*self.upstream, timeout=300)
        try:
            upstream.request(method, target, body=body or None,
                             headers={k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP})
            response = upstream.getresponse()
            data = response.read()
            self._learn(method, body, data)
            head = [f"HTTP/1.1 {response.status} {response.reason}"]
            head += [f"{k}: {v}" for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            head += [f"Content-Length: {len(data)}", "", ""]
            return "\r\n".join(head).encode("latin-1") + data
        finally:
            upstream.close()

    def _learn(self, method: str, body: bytes, data: bytes) -> None:
        """Resource ids and their URLs, from a create (its body's URL, its answer's id) and from listings."""
        try:
            answer = json.loads(data)
            sent = json.loads(body) if body else {}
        except ValueError:
            return
        rows = answer.get("items") if isinstance(answer, dict) else None
        pairs = [(row.get("id"), row.get("url")) for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []
        if method == "POST" and isinstance(answer, dict) and isinstance(sent, dict) and "url" in sent:
            pairs.append((answer.get("id"), sent["url"]))
        with self._lock:
            for resource_id, url in pairs:
                if isinstance(resource_id, str) and isinstance(url, str):
                    self._urls.setdefault(resource_id, url.rstrip("/"))


def _read_request(reader) -> tuple[str, str, dict[str, str], bytes] | None:
    """One HTTP/1.1 request off a keep-alive connection; None when the client closed it."""
    line = reader.readline(65536)
    if not line.strip():
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        line = reader.readline(65536)
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip()] = value.strip()
    length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
    return method, target, headers, reader.read(length) if length else b""


def _error_answer(status: int, retry_after: str) -> bytes:
    body = json.dumps({"detail": "Service Unavailable" if status == 503 else "Too Many Requests"}).encode()
    reason = "Service Unavailable" if status == 503 else "Too Many Requests"
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nRetry-After: {retry_after}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
