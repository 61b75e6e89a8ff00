"""'Test connection': is the URL a Pharos API, is it awake, does it take the token?

The service sleeps when idle; its first answer can take 30 s or more, during which the request simply
hangs (or the edge answers 502/503/504). We wait through that, telling the caller every half second
so the window can say "the service is waking up" instead of looking frozen.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable

import httpx

from .client import TOKEN_MESSAGE, CloudClient, not_pharos_message, redirect_message

WAKE_TIMEOUT = 90.0
POLL_SECONDS = 0.5
WAKING_STATUSES = (502, 503, 504)
CONNECT_TRIES = 2  # refused/DNS failures are not a sleeping service: give up quickly


@dataclass
class ConnectionReport:
    status: str  # "ok" | "waking" | "bad_token" | "no_token" | "unreachable" | "not_pharos" | "error"
    message: str  # one plain sentence naming what to fix


async def check_connection(client: CloudClient, has_token: bool,
                           on_waiting: Callable[[float], None] | None = None,
                           wake_timeout: float = WAKE_TIMEOUT) -> ConnectionReport:
    if not has_token:
        return ConnectionReport("no_token", "no cloud token is set: add it in Settings")
    if not client.api_url.startswith(("https://", "http://")):
        return ConnectionReport("not_pharos", not_pharos_message(client.api_url or "an empty URL"))
    health = await _wait_for_health(client, on_waiting, wake_timeout)
    if isinstance(health, ConnectionReport):
        return health
    if 300 <= health.status_code < 400:
        return ConnectionReport("not_pharos", redirect_message(health.headers.get("Location", "")))
    body = health.json()
    if health.status_code != 200 or body != {"status": "healthy", "service": "pharos-api"}:
        return ConnectionReport("not_pharos", not_pharos_message(client.api_url))
    try:
        answer = await client.raw("GET", "/api/resources", params={"limit": 1})
    except (httpx.HTTPError, TimeoutError) as exc:
        return ConnectionReport("unreachable", f"the Pharos cloud stopped answering ({type(exc).__name__}): "
                                               "check your connection and try again")
    data = answer.json()
    if 300 <= answer.status_code < 400:
        return ConnectionReport("not_pharos", redirect_message(answer.headers.get("Location", "")))
    if answer.status_code == 401:
        return ConnectionReport("bad_token", TOKEN_MESSAGE)
    if answer.status_code == 404 or (answer.status_code == 200 and not isinstance(data, dict)):
        return ConnectionReport("not_pharos", not_pharos_message(client.api_url))
    if answer.status_code != 200:
        return ConnectionReport("error", f"the Pharos cloud answered HTTP {answer.status_code}: "
                                         "try again later, or check the service")
    total = data.get("total", 0)
    return ConnectionReport("ok", f"connected to the Pharos cloud at {client.api_url} ({total} resources)")


async def _wait_for_health(client: CloudClient, on_waiting: Callable[[float], None] | None,
                           wake_timeout: float):
    started = time.monotonic()
    connect_failures = 0
    while True:
        remaining = wake_timeout - (time.monotonic() - started)
        if remaining <= 0:
            return ConnectionReport("waking", f"the Pharos cloud at {client.api_url} is still waking up: "
                                              "try again in a minute")
        task = asyncio.ensure_future(client.raw("GET", "/health", timeout=remaining))
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=POLL_SECONDS)
                if done:
                    break
                if on_waiting is not None:
                    on_waiting(time.monotonic() - started)
        finally:
            if not task.done():
                task.cancel()
        try:
            response = task.result()
        except httpx.UnsupportedProtocol:
            return ConnectionReport("not_pharos", not_pharos_message(client.api_url))
        except (httpx.ConnectError, httpx.InvalidURL) as exc:
            connect_failures += 1
            if connect_failures >= CONNECT_TRIES or isinstance(exc, httpx.InvalidURL):
                return ConnectionReport("unreachable", f"cannot reach {client.api_url}: check the API URL "
                                                       "and your internet connection")
            await asyncio.sleep(POLL_SECONDS)
            continue
        except (httpx.HTTPError, TimeoutError):  # a timeout or a dropped connection while it wakes up
            if on_waiting is not None:
                on_waiting(time.monotonic() - started)
            await asyncio.sleep(POLL_SECONDS)
            continue
        if response.status_code in WAKING_STATUSES:
            if on_waiting is not None:
                on_waiting(time.monotonic() - started)
            await asyncio.sleep(POLL_SECONDS)
            continue
        return response
