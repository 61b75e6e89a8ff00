"""The sync's watchdog: a run that stops hearing from the cloud ends with one line instead of waiting on.

Every request has its own deadline (client.py) and every file one too (runner.py); the watchdog bounds
what those cannot see: a wait that nothing will ever complete. It measures the cloud's silence, the time
since its last answer less the pauses the sync chose itself (Retry-After, backoff), and ends the phase
it watches once that passes ``STALL_SECONDS``.

Why 120 s: the service sleeps when idle and its first answer can take 30 s or more (about a minute seen on
the deployed plan). One attempt may take ``ATTEMPT_DEADLINE`` (90 s) for that, and a healthy cloud answers
every attempt within it; 30 s more leaves room for the retry that follows an attempt cut at its deadline.
A cloud silent for longer is not waking up: it is not answering.

A stopped run is like a cancelled one: files done stay done, a file cut half-way is still marked
uploading, and the next sync finishes it (deleting what the cut one left).
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, TypeVar

from ..errors import CloudError
from .client import ATTEMPT_DEADLINE, CloudClient

T = TypeVar("T")

STALL_SECONDS = ATTEMPT_DEADLINE + 30.0
CHECK_SECONDS = 1.0


class Stalled(CloudError):
    """The cloud gave no answer for too long; the sync stopped and can be run again."""

    fatal = True


def stalled_message(client: CloudClient, seconds: float) -> str:
    waiting = client.in_flight()
    if waiting:
        more = f" and {len(waiting) - 1} more requests" if len(waiting) > 1 else ""
        what = f"{waiting[0]}{more} got no answer"
    else:  # nothing was asked: the sync itself was waiting on something that never came
        what = f"nothing came back after {client.last_sent or 'the first request'}"
    return (f"the Pharos cloud at {client.api_url} stopped answering ({what} in {seconds:.0f} s): the sync stopped; "
            "what was published is kept, run sync again to finish")


async def watched(client: CloudClient, work: Awaitable[T], stall_seconds: float = STALL_SECONDS) -> T:
    """``work``'s result; raises Stalled (and cancels ``work``) once the cloud has been silent too long."""
    client.heard()  # the silence counts from here: what ran before (local work) is not the cloud's
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=min(CHECK_SECONDS, stall_seconds / 4))
            if done:
                return task.result()
            silence = client.silence()
            if silence > stall_seconds:
                raise Stalled(stalled_message(client, silence))
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
