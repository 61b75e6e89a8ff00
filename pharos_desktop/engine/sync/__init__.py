"""Publishing the local index to the user's Pharos cloud account (contract: shared/pharos-cloud-api.md).

Front ends use ``Syncer`` only:

- ``await Syncer(workspace).test_connection(on_waiting)`` -> ``ConnectionReport(status, message)``;
- ``await Syncer(workspace).sync(repo, emit=..., job_id=..., cancel=...)`` -> counts dict, raises
  ``CloudError`` when it cannot go on (token refused, not a Pharos API, network gone);
- ``repo_sync_state(repo_id)`` / ``file_sync_states(repo_id)``: what the next sync would do (local only).

Modules: ``mapping`` (file/chunk -> bodies, URL scheme), ``plan`` (pure diff), ``state`` (sync tables in
the catalog), ``client`` (httpx, retries, error mapping), ``runner`` (executes a plan), ``connection``.
"""

from .connection import ConnectionReport
from .syncer import FileSyncState, RepoSyncState, Syncer

__all__ = ["ConnectionReport", "FileSyncState", "RepoSyncState", "Syncer"]
