"""The Sync button: one cloud sync at a time (``Syncer.sync`` on the qasync loop), its events through
the same bridge as ingest jobs, and each repository's sync state for the repository list."""

from __future__ import annotations

import asyncio
import uuid

from PySide6.QtCore import QObject, Signal

from ..engine.cancel import CancelToken
from ..engine.errors import PharosError
from ..engine.events import JobFailed
from ..engine.workspace import Workspace
from . import async_tasks
from .bridge import EventBridge
from .format import when
from .workers import Workers


def describe_state(state) -> str:
    """RepoSyncState -> the few words the repository list shows."""
    if state.status == "never":
        return "not synced"
    if state.status == "failed":
        return f"sync failed: {state.reason}" if state.reason else "sync failed"
    if state.changes:
        return f"{state.changes} changes to sync"
    commit = f" {state.commit[:7]}" if state.commit else ""
    return f"synced{commit} · {when(state.at)}" if state.at else f"synced{commit}"


def load_sync_states(workspace: Workspace, repo_ids: list[str]) -> dict[str, str]:
    """Worker thread: local bookkeeping only, no network."""
    from ..engine.sync import Syncer

    syncer = Syncer(workspace)
    states = {}
    for repo_id in repo_ids:
        try:
            states[repo_id] = describe_state(syncer.repo_sync_state(repo_id))
        except PharosError as exc:
            states[repo_id] = f"unknown ({exc})"
    return states


def load_file_sync_states(workspace: Workspace, repo_id: str) -> dict[str, tuple[str, str]]:
    """Worker thread: path -> (what the file tree shows, its tooltip), from local bookkeeping only."""
    from ..engine.sync import Syncer

    shown = {}
    for path, state in Syncer(workspace).file_sync_states(repo_id).items():
        at = f" {when(state.at)}" if state.at else ""
        if state.status == "synced":
            shown[path] = ("synced", f"published{at}\n{state.url}")
        elif state.status == "failed":
            shown[path] = ("failed", f"{state.message}{at}")
        else:
            shown[path] = ("waiting", state.message or "changed since the last sync")
    return shown


class SyncController(QObject):
    started = Signal(str, str)  # job_id, title
    ended = Signal()

    def __init__(self, workspace: Workspace, workers: Workers, bridge: EventBridge,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.workers = workers
        self.bridge = bridge
        self.job_id: str | None = None
        self.repo: str | None = None
        self._token: CancelToken | None = None

    @property
    def busy(self) -> bool:
        return self._token is not None

    def start(self, repo_id: str | None = None, job_id: str | None = None) -> str | None:
        if self.busy:
            return None
        from ..engine.jobs import Task
        from ..engine.sync import Syncer

        self.job_id = job_id or uuid.uuid4().hex[:12]
        self.repo = repo_id
        token = self._token = CancelToken()
        job = self.job_id
        syncer = Syncer(self.workspace)
        self.started.emit(job, ("all repositories" if repo_id is None else repo_id) + f" → {syncer.api_url}")
        async_tasks.start(self.workers,
                          lambda: syncer.sync(repo_id, task=Task("sync", self.bridge.emit, token, job)),
                          lambda _summary: self._done(job), lambda exc: self._done(job, exc))
        return job

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def _done(self, job_id: str, exc: BaseException | None = None) -> None:
        if exc is not None and not isinstance(exc, (PharosError, asyncio.CancelledError)):
            # Syncer reports its own failures; anything else must still end the card.
            self.bridge.emit(JobFailed(job_id, f"sync failed unexpectedly: {exc}", repr(exc)))
        self._token = None
        self.ended.emit()
