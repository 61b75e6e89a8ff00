"""Syncer: the front ends' entry point for publishing to the Pharos cloud (see the package docstring)."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import httpx

from ..cancel import CancelToken
from ..catalog import FileRecord, RepoRecord
from ..errors import Cancelled, CloudError, PharosError
from ..events import Emit, JobCancelled, JobFailed, JobFinished, JobStarted, StageMessage, StageProgress
from ..secrets import CLOUD_TOKEN, get_secret
from . import mapping
from .client import CloudClient, NotPharos
from .connection import WAKE_TIMEOUT, ConnectionReport, check_connection
from .plan import LocalFile, make_plan
from .runner import Runner, until_done
from .state import SyncState

log = logging.getLogger(__name__)
PAGE = 100  # the server's maximum: a larger limit is a 500, not a 422
WAKING_NOTICE_SECONDS = 3.0


@dataclass
class RepoSyncState:
    status: str  # never | synced | pending | failed
    commit: str = ""  # synced: the commit last published
    at: float | None = None  # when the last sync of this repository finished
    changes: int = 0  # files the next sync would create, replace or delete
    reason: str = ""  # failed: why


@dataclass
class FileSyncState:
    status: str  # synced | pending | failed
    resource_id: str | None = None
    url: str = ""
    at: float | None = None
    message: str = ""  # failed: why; pending: what will happen


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
                 wake_timeout: float = WAKE_TIMEOUT) -> None:
        self.workspace = workspace
        self.api_url = (api_url or workspace.settings.api_url).strip().rstrip("/")
        self._token = token if token is not None else get_secret(CLOUD_TOKEN)
        self._transport = transport
        self._retries = retries
        self._backoff_base = backoff_base
        self._wake_timeout = wake_timeout
        self.state = SyncState(workspace.catalog, self.api_url)

    def _client(self) -> CloudClient:
        concurrency = max(1, self.workspace.settings.sync_concurrency)
        return CloudClient(self.api_url, self._token, transport=self._transport, retries=self._retries,
                           backoff_base=self._backoff_base, max_connections=concurrency + 2)

    # -- connection ---------------------------------------------------------------------------

    async def test_connection(self, on_waiting: Callable[[float], None] | None = None) -> ConnectionReport:
        client = self._client()
        try:
            return await check_connection(client, bool(self._token), on_waiting, self._wake_timeout)
        finally:
            await client.aclose()

    # -- sync ---------------------------------------------------------------------------------

    async def sync(self, repo: str | None = None, *, emit: Emit, job_id: str, cancel: CancelToken) -> dict:
        """Publish one repository (name or id) or all; returns the counts. Raises CloudError when it cannot go on."""
        catalog = self.workspace.catalog
        repos = [catalog.get_repo(repo)] if repo else catalog.list_repos()
        title = (repos[0].name if repo else "all repositories") + f" → {self.api_url}"
        emit(JobStarted(job_id, "sync", title))
        catalog.start_job(job_id, "sync", repos[0].repo_id if repo else None, {"repo": repo, "api_url": self.api_url})
        try:
            summary = await self._sync(repos, repo is None, emit, job_id, cancel)
        except (Cancelled, asyncio.CancelledError):
            catalog.finish_job(job_id, "cancelled")
            emit(JobCancelled(job_id, resumable=True))
            raise
        except PharosError as exc:
            self._failed(job_id, repos, str(exc), traceback.format_exc(), emit)
            raise
        except Exception as exc:  # noqa: BLE001 - unexpected: one line for the user, the rest in the log
            log.exception("sync failed")
            message = f"sync failed unexpectedly: {type(exc).__name__}"
            self._failed(job_id, repos, message, traceback.format_exc(), emit)
            raise CloudError(message) from exc
        catalog.finish_job(job_id, "done" if not summary["failed"] else "failed", summary)
        emit(JobFinished(job_id, summary))
        return summary

    def _failed(self, job_id: str, repos: list[RepoRecord], message: str, detail: str, emit: Emit) -> None:
        self.workspace.catalog.finish_job(job_id, "failed", error=message)
        for record in repos:
            self.state.record_repo(record.repo_id, "failed", record.commit, message)
        emit(JobFailed(job_id, message, detail.replace(self._token, "***") if self._token else detail))

    async def _sync(self, repos: list[RepoRecord], everything: bool, emit: Emit, job_id: str,
                    cancel: CancelToken) -> dict:
        if not self._token:
            raise CloudError("no cloud token is set: add it in Settings (or set PHAROS_TOKEN)")
        send_source = bool(self.workspace.settings.sync_send_source)
        client = self._client()
        try:
            remote = await until_done(self._list_remote(client, emit, job_id, cancel), cancel)
            local, records = await asyncio.to_thread(self._local_files, repos, send_source)
            published = self.state.published(None if everything else [r.repo_id for r in repos])
            plan = make_plan(local, published, remote)
            emit(StageProgress(job_id, "plan", len(local), len(local), "files"))
            emit(StageMessage(job_id, f"{plan.count('created')} to create, {plan.count('updated')} to replace, "
                                      f"{plan.count('deleted')} to delete, {plan.unchanged} unchanged; "
                                      f"{plan.chunks} chunks to upload"))
            runner = Runner(client, self.state, self.workspace.catalog, {r.repo_id: r for r in repos}, records,
                            send_source=send_source, concurrency=self.workspace.settings.sync_concurrency,
                            emit=emit, job_id=job_id, cancel=cancel)
            outcome = await runner.run(plan)
        finally:
            await client.aclose()
        failed_repos = defaultdict(list)
        for failure in outcome.failures:
            failed_repos[failure["repo"]].append(failure)
        for record in repos:
            failures = failed_repos.get(record.repo_id)
            reason = f"{len(failures)} files failed, e.g. {failures[0]['path']}: {failures[0]['message']}" if failures else ""
            self.state.record_repo(record.repo_id, "failed" if failures else "ok", record.commit, reason)
        emit(StageMessage(job_id, f"uploaded {outcome.chunks} chunks for {outcome.created + outcome.updated} files"))
        notice = queue_notice(outcome.queue_refused, not outcome.failures)
        if notice:
            emit(StageMessage(job_id, notice))
        return {"created": outcome.created, "updated": outcome.updated, "deleted": outcome.deleted,
                "unchanged": plan.unchanged, "failed": len(outcome.failures), "chunks": outcome.chunks,
                "failures": outcome.failures, "notice": notice}

    async def _list_remote(self, client: CloudClient, emit: Emit, job_id: str, cancel: CancelToken
                           ) -> dict[str, list[str]]:
        """Every code_file resource on the account, by normalised URL; the only requests a no-change sync makes."""
        by_url: dict[str, list[str]] = defaultdict(list)
        offset = 0
        while True:
            cancel.raise_if_cancelled()
            # The first request may meet a sleeping service: say so rather than look stuck.
            waking = asyncio.get_running_loop().call_later(WAKING_NOTICE_SECONDS, lambda: emit(StageMessage(
                job_id, "waiting for the Pharos cloud: the service is waking up (this can take a minute)")))
            try:
                answer = await client.request("GET", "/api/resources",
                                              params={"limit": PAGE, "offset": offset, "type": "code_file"})
            finally:
                waking.cancel()
            data = answer.data
            if not isinstance(data, dict) or not isinstance(data.get("items"), list):
                raise NotPharos(f"{self.api_url} is not a Pharos API: check the API URL in Settings")
            for item in data["items"]:
                if isinstance(item, dict) and item.get("id") and item.get("url"):
                    by_url[mapping.normalize_url(str(item["url"]))].append(str(item["id"]))
            offset += len(data["items"])
            total = int(data.get("total") or 0)
            emit(StageProgress(job_id, "connect", offset, total, "resources"))
            if not data["items"] or offset >= total:
                return dict(by_url)

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

    # -- local view of the sync state (no network) --------------------------------------------

    def file_sync_states(self, repo_id: str) -> dict[str, FileSyncState]:
        repo = self.workspace.catalog.find_repo(repo_id)
        rows = self.state.file_rows(repo_id)
        send_source = bool(self.workspace.settings.sync_send_source)
        states: dict[str, FileSyncState] = {}
        for record in (self.workspace.catalog.files(repo_id, indexed_only=True) if repo else []):
            row = rows.pop(record.path, None)
            if row is None:
                states[record.path] = FileSyncState("pending", message="not published yet")
            elif row["error"]:
                states[record.path] = FileSyncState("failed", row["resource_id"], row["url"], row["synced_at"],
                                                    row["error"])
            elif row["status"] == "done" and row["fingerprint"] == mapping.fingerprint(repo, record, send_source):
                states[record.path] = FileSyncState("synced", row["resource_id"], row["url"], row["synced_at"])
            else:
                states[record.path] = FileSyncState("pending", row["resource_id"], row["url"], row["synced_at"],
                                                    "changed since it was published")
        for path, row in rows.items():
            states[path] = FileSyncState("pending", row["resource_id"], row["url"], row["synced_at"],
                                         "deleted locally: will be removed from the cloud")
        return states

    def repo_sync_state(self, repo_id: str) -> RepoSyncState:
        row = self.state.repo_row(repo_id)
        files = self.file_sync_states(repo_id)
        changes = sum(1 for state in files.values() if state.status != "synced")
        if row is None:
            return RepoSyncState("never", changes=changes)
        if row["status"] == "failed":
            return RepoSyncState("failed", row["commit_sha"], row["synced_at"], changes, row["error"])
        if changes:
            return RepoSyncState("pending", row["commit_sha"], row["synced_at"], changes)
        return RepoSyncState("synced", row["commit_sha"], row["synced_at"])
