"""Carries a sync plan out: a few files at a time, each file's chunks in order, state written as it goes.

Creates and chunk POSTs are not idempotent, so they are sent one attempt at a time and a failed attempt
(5xx/429, or the connection lost, perhaps after the cloud did the work) is followed by a look at what the
cloud holds before anything is sent again:
- a create looks for its row (newest first, by URL) and carries on with it: the real service commits the
  row, then fails to queue its fetch job once 10 are waiting (see shared/pharos-cloud-api.md);
- a chunk counts the resource's chunks: one more than before means it was stored, as many means send it
  again, anything else means the file starts over (the cloud has no chunk delete).
Only then is it retried, after Retry-After or a backoff.

Every file has a deadline (``file_seconds``): a file the cloud keeps busy past it is listed as failed and
the next sync tries it again, while the others go on.

Concurrency is across files only: the server appends chunks in arrival order (``chunk_index`` is
ignored), so one file's chunks must go one after the other. A failing file is listed and the others
go on; a fatal error (token refused, not a Pharos API, network gone) stops everything, and so does a
cancel, which cancels the requests in flight rather than waiting for them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable, TypeVar

import anyio

from ..index.catalog import Catalog, FileRecord, RepoRecord
from ..run.events import SyncFailure
from . import mapping
from .client import CloudClient, NotPharos, RequestFailed, Transient
from .plan import Action, Plan
from .tables import SyncTables

if TYPE_CHECKING:
    from ..run.task import Task

log = logging.getLogger(__name__)
T = TypeVar("T")

UPLOAD_ATTEMPTS = 3  # per file, when its chunk count comes out wrong or its resource vanishes mid-way
LOOKUP_PAGE = 50  # newest-first listing page when looking for a row a failed create made
LOOKUP_PAGES = 4  # our row is among the newest few (a handful of creates are in flight at once)
# A file is a handful of requests plus one per chunk, each well under a second on a healthy link. The base
# covers a cold start (one attempt may take ATTEMPT_DEADLINE, 90 s) and a few long Retry-After waits; the
# per-chunk part a link ten times slower than usual.
FILE_BASE_SECONDS = 300.0
FILE_CHUNK_SECONDS = 2.0


def file_seconds(chunks: int) -> float:
    """How long one file's upload may take before it is given up (for this run)."""
    return FILE_BASE_SECONDS + FILE_CHUNK_SECONDS * chunks


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    repaired: int = 0  # published with another chunk count than the file's (doubled by two syncs at once)
    deleted: int = 0
    chunks: int = 0
    failures: list[SyncFailure] = field(default_factory=list)
    queue_refused: int = 0  # creates whose row was made but whose fetch job the cloud could not queue


class Runner:
    def __init__(self, client: CloudClient, state: SyncTables, catalog: Catalog, repos: dict[str, RepoRecord],
                 records: dict[tuple[str, str], FileRecord], *, send_source: bool, concurrency: int,
                 task: Task) -> None:
        self.client = client
        self.state = state
        self.catalog = catalog
        self.repos = repos
        self.records = records
        self.send_source = send_source
        self.concurrency = max(1, concurrency)
        self.cancel = task.cancel
        self.meter = task.meter("upload", unit="files")
        self.outcome = Outcome()

    async def run(self, plan: Plan) -> Outcome:
        queue: asyncio.Queue[Action] = asyncio.Queue()
        for action in plan.actions:
            queue.put_nowait(action)
        self.meter.set_total(len(plan.actions))
        workers = [asyncio.ensure_future(self._worker(queue)) for _ in range(min(self.concurrency, queue.qsize()))]
        try:
            await self.cancel.result_async(asyncio.gather(*workers))
        finally:
            for worker in workers:  # a fatal error in one worker stops the others too
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self.meter.flush()
        return self.outcome

    async def _worker(self, queue: asyncio.Queue[Action]) -> None:
        while not queue.empty():
            action = queue.get_nowait()
            self.meter.current = action.path
            seconds = file_seconds(action.chunk_count)
            # anyio's deadline, like the client's (see client._send): it never cuts httpcore's cleanup short.
            with anyio.move_on_after(seconds) as deadline:
                try:
                    await self._do(action)
                except RequestFailed as exc:
                    self._failed(action, str(exc))
            if deadline.cancelled_caught:
                took = f"{seconds / 60:.0f} minutes" if seconds >= 120 else f"{seconds:.0f} s"
                self._failed(action, f"the cloud did not finish it within {took}; the next sync tries again")
            self.meter.advance(current=action.path)

    def _failed(self, action: Action, message: str) -> None:
        log.warning("sync: %s: %s", action.path, message)
        self.state.fail(action.repo_id, action.path, message)
        self.outcome.failures.append(SyncFailure(action.repo_id, action.path, message))

    async def _do(self, action: Action) -> None:
        if action.kind == "forget":
            self.state.forget(action.repo_id, action.path)
        elif action.kind == "delete":
            for resource_id in action.stale_ids:
                await self._delete(resource_id)
            self.state.forget(action.repo_id, action.path)
            self.outcome.deleted += 1
        else:
            if await self._upload(action):
                setattr(self.outcome, action.counts_as, getattr(self.outcome, action.counts_as) + 1)

    async def _delete(self, resource_id: str) -> None:
        try:
            await self.client.request("DELETE", f"/api/resources/{resource_id}")
        except RequestFailed as exc:
            if exc.status != 404:  # already gone is what we wanted
                raise

    async def _upload(self, action: Action) -> bool:
        repo = self.repos[action.repo_id]
        record = self.records.get((action.repo_id, action.path))
        if record is None:
            return False
        chunks = await asyncio.to_thread(self.catalog.chunks_for_file, action.repo_id, action.path)
        bodies = [mapping.chunk_body(repo, chunk, self.send_source) for chunk in chunks]
        for resource_id in action.stale_ids:
            await self._delete(resource_id)
        # Written before the create: a run killed from here on leaves a row the next plan repairs.
        self.state.begin(action.repo_id, action.path, action.url, action.fingerprint)
        create, update = mapping.create_body(repo, record), mapping.update_body(repo, record)
        for _ in range(UPLOAD_ATTEMPTS):
            resource_id = await self._create(create)
            self.state.set_resource(action.repo_id, action.path, resource_id)
            # A create can return a row the plan did not know of, chunks and all: one an earlier run made and did
            # not finish, one the listing missed (offset pages over rows created in the same second are not
            # stable), one another sync is filling. Its status cannot tell: the real service answers 202 for
            # every row still pending, and ours always are. Appending to a row that has chunks would double them.
            if await chunk_total(self.client, resource_id) != 0:
                await self._delete(resource_id)
                continue
            if await self._fill(resource_id, update, bodies):
                self.state.finish(action.repo_id, action.path, resource_id, len(bodies), repo.commit)
                self.outcome.chunks += len(bodies)
                return True
            await self._delete(resource_id)  # incomplete or doubled chunks: start this file over
        raise RequestFailed("its chunks could not be uploaded exactly once; the next sync tries again")

    async def _once(self, what: str, send: Callable[[], Awaitable[T]],
                    landed: Callable[[Transient], Awaitable[T | None]]) -> T:
        """``send()``, one attempt at a time. After an attempt that failed in a way that may still have done
        the work, ``landed`` looks at the cloud: what it returns is taken as the answer, and None means the
        work was not done, so it is sent again (after Retry-After or a backoff)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await send()
            except Transient as exc:
                found = await landed(exc)
                if found is not None:
                    return found
                if attempt > self.client.retries:
                    raise RequestFailed(f"the cloud failed to {what} ({exc}) after {attempt} tries",
                                        exc.status) from None
                await self.client.pause(exc.retry_after if exc.retry_after is not None
                                        else self.client.backoff(attempt))

    async def _create(self, body: dict) -> str:
        """The new (or found) resource's id."""
        async def send() -> str:
            answer = await self.client.request("POST", "/api/resources", json=body, retry=False)
            resource_id = answer.data.get("id") if isinstance(answer.data, dict) else None
            if not resource_id:
                raise NotPharos(f"{self.client.api_url} answered a create without an id: check the API URL")
            return str(resource_id)

        async def landed(exc: Transient) -> str | None:
            found = await self._find_created(body["url"])
            if found is not None:
                if "queue" in exc.detail.lower():
                    self.outcome.queue_refused += 1
                log.info("create of %s answered %s, but its row exists: going on with it", body["url"], exc)
            return found

        return await self._once("create it", send, landed)

    async def _find_created(self, url: str) -> str | None:
        wanted = mapping.normalize_url(url)
        for page in range(LOOKUP_PAGES):
            answer = await self.client.request("GET", "/api/resources", params={
                "sort_by": "created_at", "sort_dir": "desc", "limit": LOOKUP_PAGE, "offset": page * LOOKUP_PAGE})
            items = answer.data.get("items") if isinstance(answer.data, dict) else None
            if not isinstance(items, list):
                raise NotPharos(f"{self.client.api_url} is not a Pharos API: check the API URL in Settings")
            for item in items:
                if isinstance(item, dict) and item.get("id") and mapping.normalize_url(str(item.get("url", ""))) == wanted:
                    return str(item["id"])
            if len(items) < LOOKUP_PAGE:
                return None
        return None

    async def _fill(self, resource_id: str, update: dict, bodies: list[dict]) -> bool:
        """PUT the metadata and POST the chunks; False when the result cannot be trusted."""
        held = 0  # chunks the resource holds: it had none (counted after the create), one more per chunk sent
        doubted = False  # an attempt failed that the cloud may still store: count them all at the end

        async def send() -> bool:
            await self.client.request("POST", "/chunks", json={"resource_id": resource_id, **bodies[held]},
                                      retry=False)
            return True

        async def landed(_: Transient) -> bool | None:
            nonlocal doubted
            doubted = True
            total = await chunk_total(self.client, resource_id)
            # As many as before: not stored, send it again. One more: stored, its answer lost. Else: start over.
            return None if total == held else total == held + 1

        try:
            await self.client.request("PUT", f"/api/resources/{resource_id}", json=update)
            for held in range(len(bodies)):
                if not await self._once("store a chunk", send, landed):
                    return False
        except RequestFailed as exc:
            if exc.status == 404:  # deleted on the server while we were filling it
                return False
            raise
        # An attempt cut at its deadline may be stored after it was counted: the total says.
        return not doubted or await chunk_total(self.client, resource_id) == len(bodies)


async def chunk_total(client: CloudClient, resource_id: str) -> int:
    """How many chunks the cloud holds for a resource (-1 for an answer without a count: trust nothing)."""
    answer = await client.request("GET", "/chunks", params={"resource_id": resource_id, "limit": 1})
    total = answer.data.get("total") if isinstance(answer.data, dict) else None
    return total if isinstance(total, int) else -1
