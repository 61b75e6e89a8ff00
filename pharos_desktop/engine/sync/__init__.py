"""Publishing the local index to the user's Pharos cloud account (contract: shared/pharos-cloud-api.md).

Front ends use ``Syncer`` and ``SyncStatus`` only:

- ``await Syncer(workspace).test_connection(on_waiting)`` -> ``ConnectionReport(status, message)``;
- ``await Syncer(workspace).sync(repo, task=Task(JobKind.SYNC, ...))`` -> ``SyncSummary``, raises ``CloudError``
  when it cannot go on (token refused, not a Pharos API, network gone);
- ``SyncStatus(workspace).repo(repo_id)`` / ``.files(repo_id)``: what the next sync would do, from local
  bookkeeping only (no token, no client, no keyring: cheap enough for every refresh of the window).

Modules: ``mapping`` (file/chunk -> bodies, URL scheme), ``plan`` (pure diff), ``tables`` (the sync tables in
the catalog), ``client`` (httpx, retries, error mapping), ``verify`` (the cloud's chunk counts, checked
after a killed run), ``runner`` (executes a plan), ``connection``, ``status`` (the local read).
"""

from .connection import ConnectionReport
from .status import FileSyncState, RepoSyncState, SyncStatus
from .syncer import Syncer

__all__ = ["ConnectionReport", "FileSyncState", "RepoSyncState", "SyncStatus", "Syncer"]
