"""The Pharos cloud over async httpx: retries with backoff, Retry-After, and errors a user can act on.

Retried: connection errors, timeouts, 5xx and 429 (the service sleeps when idle and its queue can be
down). Not retried: other 4xx, which will not get better by asking again. The token is sent in a
header only; no message built here ever contains it (and ``_scrub`` removes it from server text).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import CloudError

log = logging.getLogger(__name__)

# The first request after the service slept can take 30 s or more; connect itself is quick.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
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


def not_pharos_message(api_url: str) -> str:
    return f"{api_url} is not a Pharos API: check the API URL in Settings"


@dataclass
class Answer:
    status: int
    data: Any  # parsed JSON, None for 204
    retried: bool  # more than one attempt: a non-idempotent request may have been applied twice


class CloudClient:
    def __init__(self, api_url: str, token: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, retries: int = 5, backoff_base: float = 0.5,
                 backoff_cap: float = 30.0, max_retry_after: float = 120.0, max_connections: int = 16) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.requests = 0  # attempts sent, for rates and tests
        self._http = httpx.AsyncClient(
            base_url=self.api_url, transport=transport, timeout=timeout, follow_redirects=True,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def raw(self, method: str, path: str, *, timeout: float | None = None, **kwargs: Any) -> httpx.Response:
        """One attempt, no retry, httpx errors raised as is (test_connection interprets them itself)."""
        self.requests += 1
        return await self._http.request(method, path, **kwargs,
                                        timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)

    async def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None) -> Answer:
        attempt = 0
        while True:
            attempt += 1
            try:
                self.requests += 1
                response = await self._http.request(method, path, json=json, params=params)
            except httpx.UnsupportedProtocol as exc:
                raise NotPharos(not_pharos_message(self.api_url)) from exc
            except httpx.TransportError as exc:
                if attempt > self.retries:
                    raise Unreachable(f"cannot reach the Pharos cloud at {self.api_url} ({type(exc).__name__}): "
                                      "check your connection and the API URL in Settings") from None
                log.info("%s %s: %s, retrying", method, path, type(exc).__name__)
                await asyncio.sleep(self._backoff(attempt))
                continue
            except httpx.InvalidURL as exc:
                raise NotPharos(not_pharos_message(self.api_url)) from exc
            status = response.status_code
            if (status == 429 or status >= 500) and attempt <= self.retries:
                delay = self._retry_after(response) if status in (429, 503) else None
                log.info("%s %s: HTTP %s, retrying", method, path, status)
                await asyncio.sleep(delay if delay is not None else self._backoff(attempt))
                continue
            return self._answer(method, path, response, attempt > 1)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2)  # jitter: parallel workers do not retry in lockstep

    def _retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After", "").strip()
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

    def _answer(self, method: str, path: str, response: httpx.Response, retried: bool) -> Answer:
        status = response.status_code
        if status == 204:
            return Answer(status, None, retried)
        data = _json_or_none(response)
        if 200 <= status < 300:
            if data is None:  # an HTML page or a proxy's answer: not the API we want
                raise NotPharos(not_pharos_message(self.api_url))
            return Answer(status, data, retried)
        if status == 401:
            raise AuthRefused(TOKEN_MESSAGE)
        if status == 404 and path.rstrip("/") == "/api/resources":
            raise NotPharos(not_pharos_message(self.api_url))
        detail = self._scrub(describe_detail(data, response))
        if status == 422:
            raise RequestFailed(f"the cloud rejected the data: {detail}", status)
        if status == 429:
            raise RequestFailed(f"the cloud is busy (HTTP 429) and kept refusing: try again later", status)
        if status >= 500:
            raise RequestFailed(f"the cloud failed (HTTP {status}: {detail}) after {self.retries + 1} tries", status)
        raise RequestFailed(f"the cloud refused {method} {path.split('?')[0]} (HTTP {status}: {detail})", status)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _json_or_none(response: httpx.Response) -> Any:
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None


def describe_detail(data: Any, response: httpx.Response) -> str:
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
    return response.reason_phrase or "no detail"
