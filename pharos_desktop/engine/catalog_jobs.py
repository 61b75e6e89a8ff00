"""The catalog's jobs table: what ran, how it ended, what can be resumed, and which process owns a
job still 'running' (so a live job in another process is never taken for a dead one)."""

from __future__ import annotations

import json
import sqlite3
import time

from .owner import Owner, is_gone, this_process

# Added after the first release: older catalogs get them on open; their rows have no owner.
_OWNER_COLUMNS = {"owner_host": "TEXT NOT NULL DEFAULT ''", "owner_pid": "INTEGER NOT NULL DEFAULT 0",
                  "owner_started": "REAL NOT NULL DEFAULT 0"}


def add_owner_columns(conn: sqlite3.Connection) -> None:
    present = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
    for name, declaration in _OWNER_COLUMNS.items():
        if name not in present:
            conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {declaration}")


class JobsTable:
    """Mixed into Catalog: uses its connection and write lock."""

    def start_job(self, job_id: str, kind: str, repo_id: str | None, request: dict) -> None:
        owner = this_process()
        with self._write_lock, self._conn() as conn:
            conn.execute("INSERT OR REPLACE INTO jobs (job_id, repo_id, kind, request, state, started_at, owner_host, "
                         "owner_pid, owner_started) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                         (job_id, repo_id, kind, json.dumps(request), time.time(), owner.host, owner.pid,
                          owner.started))

    def finish_job(self, job_id: str, state: str, summary: dict | None = None, error: str = "") -> None:
        with self._write_lock, self._conn() as conn:
            conn.execute("UPDATE jobs SET state = ?, summary = ?, error = ?, finished_at = ? WHERE job_id = ?",
                         (state, json.dumps(summary or {}), error, time.time(), job_id))

    def mark_stale_jobs_interrupted(self) -> int:
        """Jobs left 'running' by a process that is gone are interrupted; their repos can be resumed.
        A job whose process still runs (another window, a command line) is left as it is."""
        with self._write_lock, self._conn() as conn:
            rows = conn.execute("SELECT job_id, owner_host, owner_pid, owner_started FROM jobs "
                                "WHERE state = 'running'").fetchall()
            # a row without an owner comes from a version that did not record one: as before, it is stale
            stale = [row[0] for row in rows if not row[2] or is_gone(Owner(row[1], row[2], row[3]))]
            conn.executemany("UPDATE jobs SET state = 'interrupted' WHERE job_id = ?", [(job,) for job in stale])
            conn.execute("""UPDATE repos SET state = 'interrupted' WHERE state = 'ingesting' AND NOT EXISTS
                            (SELECT 1 FROM jobs j WHERE j.repo_id = repos.repo_id AND j.state = 'running')""")
            return len(stale)

    def resumable_jobs(self) -> list[dict]:
        rows = self._conn().execute(
            """SELECT j.job_id, j.repo_id, j.request, j.state FROM jobs j
               JOIN repos r ON r.repo_id = j.repo_id
               WHERE j.kind = 'ingest' AND j.state IN ('cancelled', 'interrupted') AND r.state != 'ready'
               ORDER BY j.started_at DESC""").fetchall()
        return [dict(row, request=json.loads(row["request"])) for row in rows]
