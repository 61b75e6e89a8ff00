"""Syncer: the front ends' entry point for publishing to the Pharos cloud (see the package docstring)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Callable

import httpx

from ..index.catalog import FileRecord, RepoRecord
from ..errors import CloudError, KeyringUnavailable
from ..run.events import SyncSummary
from ..jobs import Job
from ..run.task import Task
from ..run.repo_lock import busy_message, repo_locks
from ..secrets import CLOUD_TOKEN, get_secret
from ..states import JobState, LastSync, RunMark
from . import mapping, verify
from .client import ATTEMPT_DEADLINE, CloudClient, NotPharos
from .connection import WAKE_TIMEOUT, ConnectionReport, check_connection
from .plan import LocalFile, Published, make_plan
from .runner import Runner
from .status import SyncStatus
from .watchdog import STALL_SECONDS, watched

PAGE = 100  # the server's maximum: a larger limit is a 500, not a 422
MAX_PAGES = 10_000  # a million resources: a listing longer than that is not one to plan from
WAKING_NOTICE_SECONDS = 3.0


def queue_notice(refused: int, all_published: bool) -> str:
    """What the cloud's full fetch queue means for the user: a notice, not an error (files are published)."""
    if not refused:
        return ""
    published = "Your files are published" if all_published else "The files listed above aside, your files are published"
    return (f"{published}. Note: the cloud's own fetch queue is full: it holds jobs (10 at most) that no worker "
            f"is processing, so it could not queue one for {refused} of the files just created. Until something "
            "drains that queue, adding a resource through the cloud itself (its web page or API) fails too. "
            "Switch on \"Work for my cloud\" (the Cloud jobs tab, or pharos-desktop worker): it clears the jobs "
            "of the files Pharos Desktop published.")


class Syncer:
    def __init__(self, workspace, *, api_url: str | None = None, token: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, retries: int = 5, backoff_base: float = 0.5,
                 wake_timeout: float = WAKE_TIMEOUT, attempt_deadline: float = ATTEMPT_DEADLINE,
                 stall_seconds: float = STALL_SECONDS) -> None:
        self.workspace = workspace
        self.api_url = (api_url or workspace.settings.api_url).strip().rstrip("/")
        self._token = token  # None: read when first needed, so that a failing keyring fails the job
        self._transport = transport
        self._retries = retries
        self._backoff_base = backoff_base
        self._wake_timeout = wake_timeout
        self._attempt_deadline = attempt_deadline
        self._stall_seconds = stall_seconds
        self.status = SyncStatus(workspace, self.api_url)
        self.state = self.status.state

    def _cloud_token(self) -> str:
        if self._token is None:
            self._token = get_secret(CLOUD_TOKEN)
        return self._token

    def _client(self) -> CloudClient:
        concurrency = max(1, self.workspace.settings.sync_concurrency)
        return CloudClient(self.api_url, self._cloud_token(), transport=self._transport, retries=self._retries,
                           backoff_base=self._backoff_base, max_connections=concurrency + 2,
                           attempt_deadline=self._attempt_deadline)

    # -- connection ---------------------------------------------------------------------------

    async def test_connection(self, on_waiting: Callable[[float], None] | None = None) -> ConnectionReport:
        try:
            token = self._cloud_token()
        except KeyringUnavailable as exc:
            return ConnectionReport("no_token", str(exc))
        client = self._client()
        try:
            return await check_connection(client, bool(token), on_waiting, self._wake_timeout)
        finally:
            await client.aclose()

    # -- sync ---------------------------------------------------------------------------------

    async def sync(self, repo: str | None = None, *, task: Task) -> SyncSummary:
        """Publish one repository (name or id) or all. Raises CloudError when it cannot go on."""
        catalog = self.workspace.catalog
        with Job(self.workspace.jobs, task) as job:
            repos = [catalog.get_repo(repo)] if repo else catalog.list_repos()
            job.start((repos[0].name if repo else "all repositories") + f" → {self.api_url}")
            # An ingest or another sync of one of them (another window, a command line, the cloud worker) goes
            # first: two syncs would append the same chunks twice, and a half-updated index must not be published.
            names = {record.repo_id: record.name for record in repos}
            async with repo_locks(self.workspace.data_folder, list(names), cancel=task.cancel,
                                  on_wait=lambda repo_id: task.message(busy_message(names[repo_id]))):
                # Read again: what we waited for may have changed them (a new commit) or removed one.
                repos = [catalog.get_repo(repo_id) for repo_id in names] if repo else [
                    record for record in catalog.list_repos() if record.repo_id in names]
                job.own(repos[0].repo_id if repo else None, {"repo": repo, "api_url": self.api_url},
                        lambda state, message: self._ended(repos, state, message))
                job.secret = self._cloud_token()
                summary = await self._sync(repos, repo is None, task)
            job.finish(summary, ok=not summary.failed)
        return summary

    def _ended(self, repos: list[RepoRecord], state: str, message: str) -> None:
        if state == JobState.FAILED:
            for record in repos:
                self.state.record_repo(record.repo_id, LastSync.FAILED, record.commit, message)

    async def _sync(self, repos: list[RepoRecord], everything: bool, task: Task) -> SyncSummary:
        if not self._cloud_token():
            raise CloudError("no cloud token is set: add it in Settings (or set PHAROS_TOKEN)")
        send_source = bool(self.workspace.settings.sync_send_source)
        repo_ids = [record.repo_id for record in repos]
        marks = self.state.start_run(repo_ids)
        carried_out = False
        client = self._client()
        try:
            # The watchdog (watchdog.py) ends a phase that has heard nothing from the cloud for too long.
            remote = await task.cancel.result_async(watched(client, self._list_remote(client, task),
                                                            self._stall_seconds))
            local, records = await asyncio.to_thread(self._local_files, repos, send_source)
            published = self.state.published(None if everything else repo_ids)
            remote_chunks = await task.cancel.result_async(watched(
                client, self._check(client, published, marks, remote, repos, task), self._stall_seconds))
            plan = make_plan(local, published, remote, remote_chunks)
            task.progress("plan", len(local), len(local), "files")
            repairs = f"{plan.count('repaired')} to repair, " if plan.count("repaired") else ""
            task.message(f"{plan.count('created')} to create, {plan.count('updated')} to replace, {repairs}"
                         f"{plan.count('deleted')} to delete, {plan.unchanged} unchanged; "
                         f"{plan.chunks} chunks to upload")
            runner = Runner(client, self.state, self.workspace.catalog, {r.repo_id: r for r in repos}, records,
                            send_source=send_source, concurrency=self.workspace.settings.sync_concurrency, task=task)
            outcome = await watched(client, runner.run(plan), self._stall_seconds)
            carried_out = True
        finally:
            await client.aclose()
            self.state.end_run(repo_ids, carried_out)
        failed_repos = defaultdict(list)
        for failure in outcome.failures:
            failed_repos[failure.repo].append(failure)
        for record in repos:
            failures = failed_repos.get(record.repo_id)
            reason = f"{len(failures)} files failed, e.g. {failures[0].path}: {failures[0].message}" if failures else ""
            self.state.record_repo(record.repo_id, LastSync.FAILED if failures else LastSync.OK, record.commit, reason)
        published = outcome.created + outcome.updated + outcome.repaired
        task.message(f"uploaded {outcome.chunks} chunks for {published} files")
        if outcome.repaired:
            task.message(f"repaired {outcome.repaired} files whose chunks on the cloud were not the file's "
                         "(doubled by two syncs at once, or cut short)")
        notice = queue_notice(outcome.queue_refused, not outcome.failures)
        if notice:
            task.message(notice)
        return SyncSummary(outcome.created, outcome.updated, outcome.deleted, plan.unchanged, len(outcome.failures),
                           outcome.chunks, outcome.failures, notice, outcome.repaired)

    async def _check(self, client: CloudClient, published: list[Published], marks: dict[str, RunMark],
                     remote: dict[str, list[str]], repos: list[RepoRecord], task: Task) -> dict[str, int]:
        """Chunk totals on the cloud of what marked repositories published (see verify.py)."""
        resource_ids = verify.to_check(published, marks, {rid for ids in remote.values() for rid in ids})
        if not resource_ids:
            return {}
        names = {record.repo_id: record.name for record in repos}
        why = "; ".join(verify.WHY[mark].format(", ".join(sorted(names[r] for r, m in marks.items() if m == mark)))
                        for mark in sorted(set(marks.values())))
        task.message(f"checking the chunks of {len(resource_ids)} published files on the cloud before trusting "
                     f"them: {why}")
        return await verify.chunk_totals(client, resource_ids, concurrency=self.workspace.settings.sync_concurrency,
                                         task=task)

    async def _list_remote(self, client: CloudClient, task: Task) -> dict[str, list[str]]:
        """Every code_file resource on the account, by normalised URL; the only requests a no-change sync makes.
        A listing that does not end (pages that bring nothing new, or more of them than any account holds)
        fails the sync: a plan made from it could delete or duplicate what is really there."""
        by_url: dict[str, list[str]] = defaultdict(list)
        seen: set[str] = set()
        offset = 0
        why = f"it went past {MAX_PAGES * PAGE:,} resources"
        for _ in range(MAX_PAGES):
            task.raise_if_cancelled()
            # The first request may meet a sleeping service: say so rather than look stuck.
            waking = asyncio.get_running_loop().call_later(WAKING_NOTICE_SECONDS, lambda: task.message(
                "waiting for the Pharos cloud: the service is waking up (this can take a minute)"))
            try:
                answer = await client.request("GET", "/api/resources",
                                              params={"limit": PAGE, "offset": offset, "type": "code_file"})
            finally:
                waking.cancel()
            data = answer.data
            if not isinstance(data, dict) or not isinstance(data.get("items"), list):
                raise NotPharos(f"{self.api_url} is not a Pharos API: check the API URL in Settings")
            new = 0
            for item in data["items"]:
                if isinstance(item, dict) and item.get("id") and item.get("url") and str(item["id"]) not in seen:
                    seen.add(str(item["id"]))
                    by_url[mapping.normalize_url(str(item["url"]))].append(str(item["id"]))
                    new += 1
            offset += len(data["items"])
            total = int(data.get("total") or 0)
            task.progress("connect", offset, total, "resources")
            if not data["items"] or offset >= total:
                return dict(by_url)
            if not new:
                why = "a page repeated what was already listed"
                break
        raise NotPharos(f"the resource listing from {self.api_url} did not end ({why}): nothing was changed; "
                        "check the API URL in Settings")

    def _local_files(self, repos: list[RepoRecord], send_source: bool
                     ) -> tuple[list[LocalFile], dict[tuple[str, str], FileRecord]]:
        local, records = [], {}
        for repo in repos:
            for record in self.workspace.catalog.files(repo.repo_id, indexed_only=True):
                records[(repo.repo_id, record.path)] = record
                local.append(LocalFile(repo.repo_id, record.path,
                                       mapping.normalize_url(mapping.file_url(repo, record.path)),
                                       mapping.fingerprint(repo, record, send_source), record.chunk_count))
        return local, records
