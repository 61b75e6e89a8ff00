"""Checking what the cloud holds before the sync state is trusted (see tables.py, ``sync_runs``).

After a killed run, or once for what an older version published (two syncs of one repository at once
could double every chunk then), each file the state says is done may hold other chunks on the cloud
than the file has. One small request per such resource reads its chunk total; the plan publishes again
every file whose total differs.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..states import RunMark, UploadState
from .client import CloudClient, RequestFailed
from .plan import Published
from .runner import chunk_total

if TYPE_CHECKING:
    from ..run.task import Task

WHY = {RunMark.INTERRUPTED: "the last sync of {} did not finish",
       RunMark.UPGRADED: "what an older version published of {} may hold doubled chunks"}


def to_check(published: list[Published], marks: dict[str, RunMark], remote_ids: set[str]) -> list[str]:
    """The resources to count: those of files the state says are done, in marked repositories, that the
    cloud still holds (the others are published again anyway)."""
    return sorted({row.resource_id for row in published if row.repo_id in marks and row.status == UploadState.DONE
                   and row.resource_id in remote_ids})


async def chunk_totals(client: CloudClient, resource_ids: list[str], *, concurrency: int, task: Task) -> dict[str, int]:
    """resource id -> its chunk total on the cloud; -1 where it could not be read, so that file is published
    again (deleting and creating is always right, only slower)."""
    meter = task.meter("plan", len(resource_ids), "files")
    gate = asyncio.Semaphore(max(1, concurrency))
    totals: dict[str, int] = {}

    async def count(resource_id: str) -> None:
        async with gate:
            try:
                totals[resource_id] = await chunk_total(client, resource_id)
            except RequestFailed:
                totals[resource_id] = -1
        meter.advance()

    counting = [asyncio.ensure_future(count(resource_id)) for resource_id in resource_ids]
    try:
        await asyncio.gather(*counting)
    finally:  # a fatal error (token refused, network gone) or a cancel stops them all
        for each in counting:
            each.cancel()
        await asyncio.gather(*counting, return_exceptions=True)
        meter.flush()
    return totals
