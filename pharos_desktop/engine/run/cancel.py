"""Cooperative cancellation shared by every long-running engine task."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Awaitable, Callable, TypeVar

from ..errors import Cancelled

T = TypeVar("T")

POLL_SECONDS = 0.05  # how soon a wait notices a cancel


class CancelToken:
    """Set once by the caller; checked by workers between items so a cancel lands within a second."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; returns True as soon as the token is cancelled."""
        return self._event.wait(seconds)

    def result(self, future: Future[T]) -> T:
        """The result of work running on another thread; raises Cancelled as soon as the token is set.

        Some work cannot be interrupted (a model call, a model load): the caller stops waiting now,
        and the abandoned work finishes on its own thread, its result dropped.
        """
        while True:
            self.raise_if_cancelled()
            try:
                return future.result(timeout=POLL_SECONDS)
            except FutureTimeout:
                continue

    def call(self, function: Callable[..., T], *args, timeout: float) -> T:
        """``function(*args)`` on a thread of its own, waited for until the token is set (Cancelled) or
        ``timeout`` seconds pass (TimeoutError). For a blocking call that may hang (a network client): the
        caller leaves at once; the abandoned call ends on its own daemon thread and never holds up the exit."""
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(function(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)

        threading.Thread(target=run, name="pharos-call", daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            self.raise_if_cancelled()
            try:
                return future.result(timeout=POLL_SECONDS)
            except FutureTimeout:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no answer within {timeout:g} s") from None

    async def result_async(self, awaitable: Awaitable[T]) -> T:
        """``result`` for a coroutine: the token is thread-based, so it is polled, not awaited. On cancel the
        coroutine is cancelled (its requests in flight stop) before Cancelled is raised."""
        import asyncio  # here: most commands never run a coroutine and need not pay for the import

        task = asyncio.ensure_future(awaitable)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=POLL_SECONDS)
                if done:
                    return task.result()
                self.raise_if_cancelled()
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
