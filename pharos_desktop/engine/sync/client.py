"""The Pharos cloud over async httpx: retries with backoff, Retry-After, and errors a user can act on.

Retried: connection errors, timeouts, 5xx and 429 (the service sleeps when idle and its queue can be
down). Not retried: other 4xx, which will not get better by asking again. The token is sent in a
header only; no message built here ever contains it (and ``_scrub`` removes it from server text).

Never followed: redirects. This is a write API holding a bearer token, so a redirect (to another host
or not) is an error naming where it pointed. Every attempt has an overall deadline (a server that
trickles bytes never trips httpx's per-read timeout) and answers are read up to a cap, so a hostile or
broken server can neither hang a sync nor fill memory.

The client also keeps what the sync's watchdog (watchdog.py) reads: when the cloud last answered, and
which requests are waiting for it.
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import json as jsonlib
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from ..errors import CloudError

log = logging.getLogger(__name__)

# The first request after the service slept can take 30 s or more; connect itself is quick.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
ATTEMPT_DEADLINE = 90.0  # seconds for one whole attempt: connect, send, and read the full answer
MAX_ANSWER_BYTES = 32 * 1024 * 1024  # a listing page of 100 resources is ~100 KB
MAX_ERROR_BYTES = 64 * 1024  # only the detail of an error is shown, and only its first 300 characters
TOKEN_MESSAGE = "the cloud refused the token: check it in Settings"


class AuthRefused(CloudError):
    fatal = True


class NotPharos(CloudError):
    fatal = True


class Unreachable(CloudError):
    fatal = True


class RequestFailed(CloudError):
    """One request failed for good; it concerns one file, so the others go on."""

    fatal = False

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Transient(RequestFailed):
    """An attempt that may succeed later (5xx, 429, connection lost), raised instead of retried when the
    caller asked for one attempt: a create must first look whether its row was made after all."""

    def __init__(self, message: str, status: int | None, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, status)
        self.detail = detail
        self.retry_after = retry_after


def not_pharos_message(api_url: str) -> str:
    return f"{api_url} is not a Pharos API: check the API URL in Settings"


def redirect_message(location: str) -> str:
    return f"the server redirected to {location or 'another address'}: check the API URL in Settings"


@dataclass
class Answer:
    status: int
    data: Any  # parsed JSON, None for 204
    retried: bool  # more than one attempt: a non-idempotent request may have been applied twice


@dataclass
class _Reply:
    """An answer read under the caps: what ``_answer`` needs, without httpx's unbounded body."""

    status: int
    headers: httpx.Headers
    body: bytes
    reason: str

    @property
    def status_code(self) -> int:
        return self.status

    def json(self) -> Any:
        if "json" not in self.headers.get("Content-Type", ""):
            return None
        try:
            return jsonlib.loads(self.body)
        except ValueError:
            return None


class CloudClient:
    def __init__(self, api_url: str, token: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, retries: int = 5, backoff_base: float = 0.5,
                 backoff_cap: float = 30.0, max_retry_after: float = 120.0, max_connections: int = 16,
                 attempt_deadline: float = ATTEMPT_DEADLINE) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.attempt_deadline = attempt_deadline
        self.requests = 0  # attempts sent, for rates and tests
        self._waiting: dict[int, tuple[float, str]] = {}  # attempts in flight: when sent, "METHOD /path"
        self._attempt_ids = itertools.count()
        self.last_sent = ""  # "METHOD /path" of the latest attempt
        self._heard = time.monotonic()  # when the cloud last answered, or until when the sync chose to wait
        self._http = httpx.AsyncClient(
            base_url=self.api_url, transport=transport, timeout=timeout, follow_redirects=False,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def raw(self, method: str, path: str, *, timeout: float | None = None, params: dict | None = None) -> _Reply:
        """One attempt, no retry, httpx errors raised as is (test_connection interprets them itself)."""
        self.requests += 1
        return await self._send(method, path, None, params, timeout)

    async def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                      retry: bool = True, max_bytes: int = MAX_ANSWER_BYTES) -> Answer:
        """``retry=False``: one attempt; what would have been retried raises ``Transient`` instead.
        ``max_bytes``: the largest successful answer read (a larger one is refused)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                self.requests += 1
                reply = await self._send(method, path, json, params, max_bytes=max_bytes)
            except httpx.UnsupportedProtocol as exc:
                raise NotPharos(not_pharos_message(self.api_url)) from exc
            except httpx.InvalidURL as exc:
                raise NotPharos(not_pharos_message(self.api_url)) from exc
            except (httpx.TransportError, TimeoutError) as exc:
                what = type(exc).__name__
                if not retry:
                    raise Transient(f"the connection failed ({what})", None) from None
                if attempt > self.retries:
                    raise Unreachable(f"cannot reach the Pharos cloud at {self.api_url} ({what}): "
                                      "check your connection and the API URL in Settings") from None
                log.info("%s %s: %s, retrying", method, path, what)
                await self.pause(self.backoff(attempt))
                continue
            status = reply.status
            if status == 429 or status >= 500:
                delay = self._retry_after(reply) if status in (429, 503) else None
                if not retry:
                    detail = describe_detail(reply.json(), reply.reason)
                    raise Transient(f"HTTP {status}: {self._scrub(detail)}", status, detail, delay)
                if attempt <= self.retries:
                    log.info("%s %s: HTTP %s, retrying", method, path, status)
                    await self.pause(delay if delay is not None else self.backoff(attempt))
                    continue
            return self._answer(method, path, reply, attempt > 1)

    async def _send(self, method: str, path: str, json: Any, params: dict | None,
                    deadline: float | None = None, max_bytes: int = MAX_ANSWER_BYTES) -> _Reply:
        """One attempt under the overall deadline, its answer read up to the cap."""
        key = next(self._attempt_ids)
        self.last_sent = f"{method} {path.split('?')[0]}"
        self._waiting[key] = (time.monotonic(), self.last_sent)
        try:
            # An anyio deadline, not asyncio.wait_for: httpcore shields its cleanup from anyio's cancellation
            # only. asyncio's, landing while an answer is being closed, abandons the close half-way and the
            # connection's slot in the pool is never given back; once every slot is lost, each request waits
            # for a connection that never comes (issue 28).
            with anyio.fail_after(deadline if deadline is not None else self.attempt_deadline):
                request = self._http.build_request(method, path, json=json, params=params)
                response = await self._http.send(request, stream=True)
                try:
                    cap = max_bytes if response.is_success else min(max_bytes, MAX_ERROR_BYTES)
                    body = bytearray()
                    async for piece in response.aiter_bytes():
                        body += piece
                        if len(body) > cap:
                            if response.is_success:  # a truncated success cannot be trusted
                                raise NotPharos(f"{self.api_url} sent an answer over {_size(cap)}: "
                                                "check the API URL in Settings")
                            del body[cap:]  # for an error, its start is all we show
                            break
                    reply = _Reply(response.status_code, response.headers, bytes(body), response.reason_phrase)
                finally:
                    await response.aclose()
        finally:
            del self._waiting[key]
        self._heard = max(self._heard, time.monotonic())
        return reply

    # -- for the watchdog ---------------------------------------------------------------------

    async def pause(self, seconds: float) -> None:
        """Wait before trying again; time the sync chose to wait is not time the cloud kept it waiting."""
        self._heard = max(self._heard, time.monotonic() + seconds)
        await asyncio.sleep(seconds)

    def heard(self) -> None:
        """Start counting the cloud's silence from now (a phase of the sync that waits on it begins)."""
        self._heard = max(self._heard, time.monotonic())

    def silence(self) -> float:
        """Seconds since the cloud last answered, less the pauses the sync chose."""
        return max(0.0, time.monotonic() - self._heard)

    def in_flight(self) -> list[str]:
        """The requests waiting for an answer ("METHOD /path"), oldest first."""
        return [what for _, what in sorted(self._waiting.values())]

    def backoff(self, attempt: int) -> float:
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2)  # jitter: parallel workers do not retry in lockstep

    def _retry_after(self, reply: _Reply) -> float | None:
        value = reply.headers.get("Retry-After", "").strip()
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError):
                return None
        return max(0.0, min(seconds, self.max_retry_after))

    def _answer(self, method: str, path: str, reply: _Reply, retried: bool) -> Answer:
        status = reply.status
        if 300 <= status < 400:
            raise NotPharos(redirect_message(reply.headers.get("Location", "")))
        if status == 204:
            return Answer(status, None, retried)
        data = reply.json()
        if 200 <= status < 300:
            if data is None:  # an HTML page or a proxy's answer: not the API we want
                raise NotPharos(not_pharos_message(self.api_url))
            return Answer(status, data, retried)
        if status == 401:
            raise AuthRefused(TOKEN_MESSAGE)
        if status == 404 and path.rstrip("/") == "/api/resources":
            raise NotPharos(not_pharos_message(self.api_url))
        detail = self._scrub(describe_detail(data, reply.reason))
        if status == 422:
            raise RequestFailed(f"the cloud rejected the data: {detail}", status)
        if status == 429:
            raise RequestFailed("the cloud is busy (HTTP 429) and kept refusing: try again later", status)
        if status >= 500:
            raise RequestFailed(f"the cloud failed (HTTP {status}: {detail}) after {self.retries + 1} tries", status)
        raise RequestFailed(f"the cloud refused {method} {path.split('?')[0]} (HTTP {status}: {detail})", status)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _size(count: int) -> str:
    return f"{count // 2**20} MB" if count >= 2**20 else f"{count // 1024} KB"


def describe_detail(data: Any, reason: str) -> str:
    """The server's ``detail``: a string, or FastAPI's field errors as "field: message; ..."."""
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{where}: {item.get('msg', '')}".strip(": "))
            else:
                parts.append(str(item))
        return "; ".join(parts) or "invalid data"
    if isinstance(detail, str) and detail:
        return detail[:300]
    return reason or "no detail"
