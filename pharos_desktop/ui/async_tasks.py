"""Coroutines (the cloud sync, the connection test) started from the UI.

In the app they run on the qasync event loop, i.e. on the UI thread between Qt events: httpx is
asynchronous, so nothing blocks. Where no asyncio loop drives Qt (pytest-qt, scripts), the coroutine
runs with ``asyncio.run`` on a worker thread instead; callbacks reach the UI thread either way.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from .threads import Threads

log = logging.getLogger(__name__)

_loop: asyncio.AbstractEventLoop | None = None


def use_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """run_app hands its qasync loop here."""
    global _loop
    _loop = loop


def start(threads: Threads, make: Callable[[], Awaitable[Any]], on_done: Callable[[Any], Any],
          on_error: Callable[[BaseException], Any]) -> None:
    if _loop is not None and _loop.is_running():
        task = _loop.create_task(make())

        def finished(done: asyncio.Task) -> None:
            if done.cancelled():
                on_error(asyncio.CancelledError())
            elif done.exception() is not None:
                on_error(done.exception())
            else:
                on_done(done.result())

        task.add_done_callback(finished)
        return
    threads.read(lambda: asyncio.run(make()), on_done, on_error)
