"""Each repository's and each file's sync state, in the words the repository list and the file tree show.
Read from local bookkeeping (``SyncStatus``): no token, no keyring, no network, so every refresh may ask."""

from __future__ import annotations

from ..engine.errors import PharosError
from ..engine.states import SyncStanding
from ..engine.workspace import Workspace
from .format import when


def describe_state(state) -> str:
    """RepoSyncState -> the few words the repository list shows."""
    if state.status == SyncStanding.NOT_SYNCED:
        return SyncStanding.NOT_SYNCED.value
    if state.status == SyncStanding.FAILED:
        return f"sync failed: {state.reason}" if state.reason else "sync failed"
    if state.changes:
        return f"{state.changes} changes to sync"
    commit = f" {state.commit[:7]}" if state.commit else ""
    return f"synced{commit} · {when(state.at)}" if state.at else f"synced{commit}"


def load_sync_states(workspace: Workspace, repo_ids: list[str], make_way=lambda: None) -> dict[str, str]:
    """Chores' thread; ``make_way`` is called before each repository (Threads.make_way)."""
    from ..engine.sync import SyncStatus

    status = SyncStatus(workspace)
    states = {}
    for repo_id in repo_ids:
        make_way()
        try:
            states[repo_id] = describe_state(status.repo(repo_id))
        except PharosError as exc:
            states[repo_id] = f"unknown ({exc})"
    return states


def load_file_sync_states(workspace: Workspace, repo_id: str) -> dict[str, tuple[str, str]]:
    """Worker thread: path -> (what the file tree shows, its tooltip)."""
    from ..engine.sync import SyncStatus

    shown = {}
    for path, state in SyncStatus(workspace).files(repo_id).items():
        at = f" {when(state.at)}" if state.at else ""
        if state.status == SyncStanding.SYNCED:
            shown[path] = (SyncStanding.SYNCED.value, f"published{at}\n{state.url}")
        elif state.status == SyncStanding.FAILED:
            shown[path] = (SyncStanding.FAILED.value, f"{state.message}{at}")
        else:
            shown[path] = (SyncStanding.PENDING.value, state.message or "changed since the last sync")
    return shown
