"""The "Sync after each update" setting (live_sync_after): an automatic update, of a watched folder or a followed
remote, is then published to the cloud, as `pharos-desktop sync --repo` would, and said in one line."""

from __future__ import annotations

import asyncio
from typing import Callable

from ..errors import Cancelled, PharosError
from ..run.cancel import CancelToken
from ..run.events import Emit
from ..run.task import Task
from ..states import JobKind
from ..workspace import Workspace


def publish_update(workspace: Workspace, repo_id: str, name: str, *, cancel: CancelToken, emit: Emit,
                   report: Callable[[str, str], None]) -> None:
    from ..sync import Syncer  # only when the user asked for it: an idle watcher never needs the sync path

    try:
        summary = asyncio.run(Syncer(workspace).sync(repo_id, task=Task(JobKind.SYNC, emit, cancel)))
    except Cancelled:
        raise
    except PharosError as exc:
        report(name, f"sync failed: {exc}")
        return
    report(name, f"synced: {summary.counts()}")
