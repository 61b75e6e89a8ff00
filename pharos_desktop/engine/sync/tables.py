"""What was published where: the sync tables, kept in the catalog database next to what they describe.

Rows are keyed by API URL as well, so syncing the same index to two accounts keeps two histories. A
file's row is written as ``uploading`` *before* its resource is created and turns ``done`` only after
its last chunk is accepted: a run killed anywhere in between leaves an ``uploading`` row, which the
next plan treats as "repair" (delete whatever the server holds for it, publish again).

A ``done`` row is trusted only while nothing else can have touched the file's resource. ``sync_runs``
says when that is not so: a run writes its mark when it starts and clears it when it ends (done, failed
or cancelled), so a mark found at the start of a run means the last one was killed; catalogs from before
this table are marked as upgraded, since two syncs at once could double a file's chunks then. A run that
finds a mark checks the cloud's chunk count of every ``done`` file before it plans.
"""

from __future__ import annotations

import time

from ..index.catalog import Catalog
from ..states import RunMark, UploadState
from .plan import Published

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_files (
    api_url TEXT NOT NULL,
    repo_id TEXT NOT NULL,
    path TEXT NOT NULL,
    url TEXT NOT NULL,               -- the resource URL (normalised), the server's key for it
    resource_id TEXT,                -- NULL until the create answered
    fingerprint TEXT NOT NULL,       -- mapping.fingerprint of what was (being) sent
    status TEXT NOT NULL,            -- uploading | done
    chunk_count INTEGER NOT NULL DEFAULT 0,
    commit_sha TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',  -- why the last attempt failed ('' when it did not)
    synced_at REAL,
    PRIMARY KEY (api_url, repo_id, path)
);
CREATE TABLE IF NOT EXISTS sync_repos (
    api_url TEXT NOT NULL,
    repo_id TEXT NOT NULL,
    status TEXT NOT NULL,            -- ok | failed
    commit_sha TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    synced_at REAL NOT NULL,
    PRIMARY KEY (api_url, repo_id)
);
CREATE TABLE IF NOT EXISTS sync_runs (
    api_url TEXT NOT NULL,
    repo_id TEXT NOT NULL,
    mark TEXT NOT NULL,              -- running | interrupted | upgraded (states.RunMark)
    since REAL NOT NULL,
    PRIMARY KEY (api_url, repo_id)
);
"""


class SyncTables:
    def __init__(self, catalog: Catalog, api_url: str) -> None:
        self.catalog = catalog
        self.api_url = api_url.rstrip("/")
        with catalog.writing() as conn:
            upgrading = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_runs'").fetchone() is None
            conn.executescript(_SCHEMA)
            if upgrading:  # sync_files may exist already: what it says is done is checked once
                conn.execute("""INSERT OR IGNORE INTO sync_runs (api_url, repo_id, mark, since)
                                SELECT DISTINCT api_url, repo_id, ?, ? FROM sync_files WHERE status = ?""",
                             (RunMark.UPGRADED, time.time(), UploadState.DONE))

    def _write(self, sql: str, params: tuple) -> None:
        with self.catalog.writing() as conn:
            conn.execute(sql, params)

    # -- files --------------------------------------------------------------------------------

    def published(self, repo_ids: list[str] | None = None) -> list[Published]:
        """Rows for these repositories, or for every repository ever synced to this URL (None)."""
        sql = "SELECT repo_id, path, url, resource_id, fingerprint, status FROM sync_files WHERE api_url = ?"
        params: list[object] = [self.api_url]
        if repo_ids is not None:
            sql += f" AND repo_id IN ({','.join('?' * len(repo_ids))})"
            params.extend(repo_ids)
        return [Published(**dict(row)) for row in self.catalog.read(sql, params)]

    def file_rows(self, repo_id: str) -> dict[str, dict]:
        rows = self.catalog.read(
            "SELECT * FROM sync_files WHERE api_url = ? AND repo_id = ?", (self.api_url, repo_id))
        return {row["path"]: dict(row) for row in rows}

    def publish_marker(self) -> tuple[int, float]:
        """Changes whenever a resource is created or a file finished here: a cheap "anything new?" check."""
        row = self.catalog.read(
            "SELECT count(resource_id), coalesce(max(synced_at), 0) FROM sync_files WHERE api_url = ?",
            (self.api_url,)).fetchone()
        return int(row[0]), float(row[1])

    def resource_ids(self) -> set[str]:
        """Every cloud resource this index created at this API URL (finished or not)."""
        rows = self.catalog.read(
            "SELECT resource_id FROM sync_files WHERE api_url = ? AND resource_id IS NOT NULL", (self.api_url,))
        return {row[0] for row in rows}

    def begin(self, repo_id: str, path: str, url: str, fingerprint: str) -> None:
        self._write(
            """INSERT INTO sync_files (api_url, repo_id, path, url, resource_id, fingerprint, status)
               VALUES (?, ?, ?, ?, NULL, ?, ?)
               ON CONFLICT(api_url, repo_id, path) DO UPDATE SET url=excluded.url, resource_id=NULL,
                   fingerprint=excluded.fingerprint, status=excluded.status""",
            (self.api_url, repo_id, path, url, fingerprint, UploadState.UPLOADING))

    def set_resource(self, repo_id: str, path: str, resource_id: str | None) -> None:
        self._write("UPDATE sync_files SET resource_id = ? WHERE api_url = ? AND repo_id = ? AND path = ?",
                    (resource_id, self.api_url, repo_id, path))

    def finish(self, repo_id: str, path: str, resource_id: str, chunk_count: int, commit: str) -> None:
        self._write(
            """UPDATE sync_files SET resource_id = ?, status = ?, chunk_count = ?, commit_sha = ?, error = '',
                   synced_at = ? WHERE api_url = ? AND repo_id = ? AND path = ?""",
            (resource_id, UploadState.DONE, chunk_count, commit, time.time(), self.api_url, repo_id, path))

    def fail(self, repo_id: str, path: str, message: str) -> None:
        self._write("UPDATE sync_files SET error = ? WHERE api_url = ? AND repo_id = ? AND path = ?",
                    (message, self.api_url, repo_id, path))

    def forget(self, repo_id: str, path: str) -> None:
        self._write("DELETE FROM sync_files WHERE api_url = ? AND repo_id = ? AND path = ?",
                    (self.api_url, repo_id, path))

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, repo_ids: list[str]) -> dict[str, RunMark]:
        """Mark a sync of these repositories as running. Returns those whose published chunk counts must be
        checked against the cloud before their state is trusted, with why (interrupted or upgraded)."""
        where = f"api_url = ? AND repo_id IN ({','.join('?' * len(repo_ids))})"
        with self.catalog.writing() as conn:
            found = dict(conn.execute(f"SELECT repo_id, mark FROM sync_runs WHERE {where}", (self.api_url, *repo_ids)))
            conn.execute(f"UPDATE sync_runs SET mark = ? WHERE mark = ? AND {where}",
                         (RunMark.INTERRUPTED, RunMark.RUNNING, self.api_url, *repo_ids))
            conn.executemany("INSERT OR IGNORE INTO sync_runs (api_url, repo_id, mark, since) VALUES (?, ?, ?, ?)",
                             [(self.api_url, repo_id, RunMark.RUNNING, time.time()) for repo_id in repo_ids])
        return {repo_id: RunMark.INTERRUPTED if mark == RunMark.RUNNING else RunMark(mark)
                for repo_id, mark in found.items()}

    def end_run(self, repo_ids: list[str], checked: bool) -> None:
        """The run ended in a way it handled. ``checked``: it carried its plan out, so the checks and repairs it
        owed are done (a repair it could not finish left its file ``uploading``); else they stay owed."""
        sql = f"DELETE FROM sync_runs WHERE api_url = ? AND repo_id IN ({','.join('?' * len(repo_ids))})"
        self._write(sql if checked else sql + " AND mark = ?",
                    (self.api_url, *repo_ids) if checked else (self.api_url, *repo_ids, RunMark.RUNNING))

    # -- repositories -------------------------------------------------------------------------

    def record_repo(self, repo_id: str, status: str, commit: str, error: str = "") -> None:
        self._write(
            """INSERT INTO sync_repos (api_url, repo_id, status, commit_sha, error, synced_at) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(api_url, repo_id) DO UPDATE SET status=excluded.status, commit_sha=excluded.commit_sha,
                   error=excluded.error, synced_at=excluded.synced_at""",
            (self.api_url, repo_id, status, commit, error, time.time()))

    def repo_row(self, repo_id: str) -> dict | None:
        row = self.catalog.read(
            "SELECT * FROM sync_repos WHERE api_url = ? AND repo_id = ?", (self.api_url, repo_id)).fetchone()
        return dict(row) if row else None
