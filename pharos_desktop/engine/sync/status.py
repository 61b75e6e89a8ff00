"""What the next sync would do, read from local bookkeeping only: no token, no network client, no keyring.
Cheap enough for the window to read on every refresh of the repository list and the file tree."""

from __future__ import annotations

from dataclasses import dataclass

from ..states import LastSync, SyncStanding, UploadState
from . import mapping
from .tables import SyncTables


@dataclass
class RepoSyncState:
    status: SyncStanding
    commit: str = ""  # synced: the commit last published
    at: float | None = None  # when the last sync of this repository finished
    changes: int = 0  # files the next sync would create, replace or delete
    reason: str = ""  # failed: why


@dataclass
class FileSyncState:
    status: SyncStanding  # never NOT_SYNCED: a file has a row or is pending
    resource_id: str | None = None
    url: str = ""
    at: float | None = None
    message: str = ""  # failed: why; pending: what will happen


class SyncStatus:
    def __init__(self, workspace, api_url: str | None = None) -> None:
        self.workspace = workspace
        self.api_url = (api_url or workspace.settings.api_url).strip().rstrip("/")
        self.state = SyncTables(workspace.catalog, self.api_url)

    def files(self, repo_id: str) -> dict[str, FileSyncState]:
        repo = self.workspace.catalog.find_repo(repo_id)
        rows = self.state.file_rows(repo_id)
        send_source = bool(self.workspace.settings.sync_send_source)
        states: dict[str, FileSyncState] = {}
        for record in (self.workspace.catalog.files(repo_id, indexed_only=True) if repo else []):
            row = rows.pop(record.path, None)
            if row is None:
                states[record.path] = FileSyncState(SyncStanding.PENDING, message="not published yet")
            elif row["error"]:
                states[record.path] = FileSyncState(SyncStanding.FAILED, row["resource_id"], row["url"], row["synced_at"],
                                                    row["error"])
            elif row["status"] == UploadState.DONE and row["fingerprint"] == mapping.fingerprint(repo, record, send_source):
                states[record.path] = FileSyncState(SyncStanding.SYNCED, row["resource_id"], row["url"], row["synced_at"])
            else:
                states[record.path] = FileSyncState(SyncStanding.PENDING, row["resource_id"], row["url"], row["synced_at"],
                                                    "changed since it was published")
        for path, row in rows.items():
            states[path] = FileSyncState(SyncStanding.PENDING, row["resource_id"], row["url"], row["synced_at"],
                                         "deleted locally: will be removed from the cloud")
        return states

    def repo(self, repo_id: str) -> RepoSyncState:
        row = self.state.repo_row(repo_id)
        files = self.files(repo_id)
        changes = sum(1 for state in files.values() if state.status != SyncStanding.SYNCED)
        if row is None:
            return RepoSyncState(SyncStanding.NOT_SYNCED, changes=changes)
        if row["status"] == LastSync.FAILED:
            return RepoSyncState(SyncStanding.FAILED, row["commit_sha"], row["synced_at"], changes, row["error"])
        if changes:
            return RepoSyncState(SyncStanding.PENDING, row["commit_sha"], row["synced_at"], changes)
        return RepoSyncState(SyncStanding.SYNCED, row["commit_sha"], row["synced_at"])
