"""The catalog: SQLite record of repositories, files and chunks, with FTS5 keyword search.

One writer (the pipeline's store stage, or the sync engine for its own tables) and any number of
readers; WAL mode lets the window read while an ingest writes. A file's row is written in the same
transaction as its chunks and only after its vectors are in Chroma, which is what makes an interrupted
ingest resumable: a file with no row, or with another content_hash, is simply done again.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from . import keyword_index
from .catalog_file import connect, damaged, missing_tables
from .chunks import Import
from ..errors import StoreError, UsageError
from ..states import IndexedTree, RepoState

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS repos (
    repo_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL,          -- what the user typed, normalised; never holds a token
    kind TEXT NOT NULL,            -- remote | local
    web_base TEXT,                 -- https://github.com/owner/repo for hosted repos
    branch TEXT NOT NULL DEFAULT '',
    commit_sha TEXT NOT NULL DEFAULT '',
    checkout_path TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    dim INTEGER NOT NULL DEFAULT 0,
    runtime TEXT NOT NULL DEFAULT '',   -- what made the vectors: torch-fp32, torch-fp16, onnx-int8 (+ joins a mix)
    vectors_stamp TEXT NOT NULL DEFAULT '',  -- the vector store its last run left its vectors in (vectors.store_stamp)
    state TEXT NOT NULL DEFAULT 'new',   -- new | ingesting | ready | interrupted | failed
    tree TEXT NOT NULL DEFAULT '',       -- what the index holds: commit | working tree | '' (IndexedTree)
    todo INTEGER NOT NULL DEFAULT 0,     -- while ingesting: the files this run reads
    error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    ingested_at REAL
);
CREATE TABLE IF NOT EXISTS files (
    repo_id TEXT NOT NULL REFERENCES repos(repo_id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    language TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL DEFAULT '',   -- git blob id of the bytes
    skip_reason TEXT,                         -- NULL for indexed files
    chunk_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, path)
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    repo_id TEXT NOT NULL,
    path TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    kind TEXT NOT NULL,
    symbol TEXT NOT NULL,
    language TEXT NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    signature TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL,
    deps TEXT NOT NULL DEFAULT '[]',
    code TEXT NOT NULL,
    embedded_text TEXT NOT NULL,
    FOREIGN KEY (repo_id, path) REFERENCES files(repo_id, path) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS chunks_by_file ON chunks(repo_id, path, ordinal);
-- Chunks written or removed, per repository (Catalog.chunk_writes): what has changed since a copy was made.
CREATE TABLE IF NOT EXISTS chunk_writes (repo_id TEXT PRIMARY KEY, writes INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS chunk_added AFTER INSERT ON chunks BEGIN
    INSERT INTO chunk_writes VALUES (NEW.repo_id, 1) ON CONFLICT(repo_id) DO UPDATE SET writes = writes + 1; END;
CREATE TRIGGER IF NOT EXISTS chunk_removed AFTER DELETE ON chunks BEGIN
    INSERT INTO chunk_writes VALUES (OLD.repo_id, 1) ON CONFLICT(repo_id) DO UPDATE SET writes = writes + 1; END;
CREATE TRIGGER IF NOT EXISTS chunk_changed AFTER UPDATE ON chunks BEGIN
    INSERT INTO chunk_writes VALUES (OLD.repo_id, 1) ON CONFLICT(repo_id) DO UPDATE SET writes = writes + 1;
    INSERT INTO chunk_writes VALUES (NEW.repo_id, 1) ON CONFLICT(repo_id) DO UPDATE SET writes = writes + 1; END;
-- What each file imports, as written (chunks.Import); engine/graph resolves them to files when read.
CREATE TABLE IF NOT EXISTS imports (
    repo_id TEXT NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    kind TEXT NOT NULL,
    module TEXT NOT NULL,
    names TEXT NOT NULL DEFAULT '[]',
    FOREIGN KEY (repo_id, path) REFERENCES files(repo_id, path) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS imports_by_file ON imports(repo_id, path);
"""
# Bumped when the import queries or what they capture change: a repository whose files' imports were read
# by an older version has them read again at its next ingest (LocalIndex.plan), without embedding anything.
IMPORTS_VERSION = 1


@dataclass
class RepoRecord:
    repo_id: str
    name: str
    source: str
    kind: str
    web_base: str | None = None
    branch: str = ""
    commit: str = ""  # stored in the commit_sha column (COMMIT is an SQL keyword)
    checkout_path: str = ""
    model: str = ""
    dim: int = 0
    runtime: str = ""
    vectors_stamp: str = ""
    imports_version: int = 0  # IMPORTS_VERSION when its files' imports were last read
    state: str = RepoState.NEW
    error: str = ""
    tree: str = IndexedTree.UNKNOWN
    todo: int = 0
    created_at: float = 0.0
    ingested_at: float | None = None
    files: int = 0  # indexed files (filled by list_repos/get_repo)
    chunks: int = 0
    skipped: int = 0
    languages: dict[str, int] = field(default_factory=dict)  # language -> indexed files


@dataclass
class FileRecord:
    """The catalog's row for one file: what it held when read (hash, skip reason, chunk count)."""

    path: str
    language: str | None
    size: int
    mtime_ns: int
    content_hash: str
    skip_reason: str | None = None
    chunk_count: int = 0


@dataclass
class ChunkRecord:
    chunk_id: str
    repo_id: str
    path: str
    ordinal: int
    kind: str
    symbol: str
    language: str
    start_line: int
    end_line: int
    signature: str
    summary: str
    deps: list[str]
    code: str
    embedded_text: str


_CHUNK_COLUMNS = ("chunk_id, repo_id, path, ordinal, kind, symbol, language, start_line, end_line, "
                  "signature, summary, deps, code, embedded_text")


# Added after the first release: older catalogs get them on open.
_ADDED_COLUMNS = {"runtime": "TEXT NOT NULL DEFAULT ''", "vectors_stamp": "TEXT NOT NULL DEFAULT ''",
                  "tree": "TEXT NOT NULL DEFAULT ''", "todo": "INTEGER NOT NULL DEFAULT 0",
                  "imports_version": "INTEGER NOT NULL DEFAULT 0"}
_COLUMNS = {"commit": "commit_sha"}  # RepoRecord field -> repos column, where the two differ


def _repo_from_row(row: sqlite3.Row) -> RepoRecord:
    values = dict(row)
    values["commit"] = values.pop("commit_sha")
    return RepoRecord(**values)


def _chunk_from_row(row: sqlite3.Row) -> ChunkRecord:
    values = dict(row)
    values["deps"] = json.loads(values["deps"])
    return ChunkRecord(**values)


class Catalog:
    """Thread-safe facade: each thread gets its own connection to the same database file. Damage to the
    file, wherever a query meets it, raises CatalogDamaged (catalog_file.py)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._chunk_count: tuple[tuple, int] | None = None  # (chunks_state, chunks) of the last count
        try:
            with self._write_lock:
                conn = self._conn()
                missing = missing_tables(conn)
                if missing:  # made again empty, they would pass for a catalog that holds nothing
                    raise damaged(self.path, f"missing table{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
                conn.executescript(_SCHEMA)
                columns = {row[1] for row in conn.execute("PRAGMA table_info(repos)")}
                for added, declared in _ADDED_COLUMNS.items():  # older catalogs
                    if added not in columns:
                        conn.execute(f"ALTER TABLE repos ADD COLUMN {added} {declared}")
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                conn.commit()
                keyword_index.ensure(conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the catalog at {self.path}: {exc}") from exc

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = connect(self.path, timeout=30, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            keyword_index.register(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises. Writers in this
        process take turns (SQLite allows one at a time)."""
        with self._write_lock, self._conn() as conn:
            yield conn

    def read(self, sql: str, params: Iterable[object] = ()) -> sqlite3.Cursor:
        """Run a query on this thread's connection (rows read by column name); WAL: a writer never blocks it."""
        return self._conn().execute(sql, tuple(params))

    def hold_view(self) -> int:
        """From now on this thread's reads see the catalog as committed at this moment, whatever other processes
        commit meanwhile, until the next hold_view or release_view (a WAL read transaction: writers are not held
        up, but the WAL cannot be checkpointed past it, so it grows while the view is held). Returns a number
        that differs from the last view's whenever another connection has committed since (SQLite's data_version)."""
        conn = self._conn()
        if conn.in_transaction:
            conn.rollback()
        conn.execute("BEGIN")
        conn.execute("SELECT COUNT(*) FROM repos").fetchone()  # a deferred transaction takes its snapshot here
        return conn.execute("PRAGMA data_version").fetchone()[0]

    def release_view(self) -> None:
        conn = self._conn()
        if conn.in_transaction:
            conn.rollback()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- repositories -------------------------------------------------------------------------

    def upsert_repo(self, repo: RepoRecord) -> None:
        with self._write_lock, self._conn() as conn:
            conn.execute(
                """INSERT INTO repos (repo_id, name, source, kind, web_base, branch, commit_sha, checkout_path,
                                      model, dim, state, error, created_at, ingested_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(repo_id) DO UPDATE SET name=excluded.name, source=excluded.source,
                       kind=excluded.kind, web_base=excluded.web_base, branch=excluded.branch,
                       commit_sha=excluded.commit_sha, checkout_path=excluded.checkout_path,
                       model=excluded.model, dim=excluded.dim, state=excluded.state, error=excluded.error,
                       ingested_at=excluded.ingested_at""",
                (repo.repo_id, repo.name, repo.source, repo.kind, repo.web_base, repo.branch, repo.commit,
                 repo.checkout_path, repo.model, repo.dim, repo.state, repo.error,
                 repo.created_at or time.time(), repo.ingested_at))

    def set_repo_state(self, repo_id: str, state: str, error: str = "", **fields: object) -> None:
        """``fields``: RepoRecord field names and their new values."""
        assignments = ", ".join(f"{_COLUMNS.get(name, name)} = ?" for name in fields)
        sql = "UPDATE repos SET state = ?, error = ?" + (f", {assignments}" if assignments else "")
        with self._write_lock, self._conn() as conn:
            conn.execute(sql + " WHERE repo_id = ?", (state, error, *fields.values(), repo_id))

    def list_repos(self) -> list[RepoRecord]:
        rows = self._conn().execute("SELECT * FROM repos ORDER BY name, repo_id").fetchall()
        return [self._with_counts(_repo_from_row(row)) for row in rows]

    def repo_names(self) -> dict[str, str]:
        """repo_id -> name, without the per-repository counts that list_repos computes."""
        return dict(self._conn().execute("SELECT repo_id, name FROM repos ORDER BY name, repo_id").fetchall())

    def get_repo(self, name_or_id: str) -> RepoRecord:
        """Find a repository by id, id prefix, name or source; raise UsageError with choices if ambiguous."""
        conn = self._conn()
        rows = conn.execute("SELECT * FROM repos WHERE repo_id = ?", (name_or_id,)).fetchall()
        if not rows:
            rows = conn.execute("SELECT * FROM repos WHERE name = ? OR source = ?", (name_or_id, name_or_id)).fetchall()
        if not rows and len(name_or_id) >= 4:
            # an id prefix, compared as text: LIKE would read "%" and "_" in the name as wildcards
            rows = conn.execute("SELECT * FROM repos WHERE substr(repo_id, 1, ?) = ?",
                                (len(name_or_id), name_or_id)).fetchall()
        if not rows:
            known = ", ".join(self.repo_names().values()) or "none yet"
            raise UsageError(f"no ingested repository called {name_or_id!r} (known: {known})")
        if len(rows) > 1:
            choices = "; ".join(f"{row['repo_id']} ({row['source']})" for row in rows)
            raise UsageError(f"{name_or_id!r} names several repositories, use an id: {choices}")
        return self._with_counts(_repo_from_row(rows[0]))

    def find_repo(self, repo_id: str) -> RepoRecord | None:
        row = self._conn().execute("SELECT * FROM repos WHERE repo_id = ?", (repo_id,)).fetchone()
        return self._with_counts(_repo_from_row(row)) if row else None

    def _with_counts(self, repo: RepoRecord) -> RepoRecord:
        conn = self._conn()
        row = conn.execute(
            """SELECT SUM(skip_reason IS NULL), SUM(skip_reason IS NOT NULL), SUM(chunk_count)
               FROM files WHERE repo_id = ?""", (repo.repo_id,)).fetchone()
        repo.files, repo.skipped, repo.chunks = (row[0] or 0), (row[1] or 0), (row[2] or 0)
        repo.languages = {lang: n for lang, n in conn.execute(
            """SELECT language, COUNT(*) FROM files WHERE repo_id = ? AND skip_reason IS NULL
               GROUP BY language ORDER BY COUNT(*) DESC""", (repo.repo_id,)) if lang}
        return repo

    def runtimes(self) -> dict[str, int]:
        """What made the index's vectors (torch-fp32, onnx-int8, ...) -> how many repositories."""
        rows = self._conn().execute("SELECT runtime, COUNT(*) FROM repos WHERE runtime != '' GROUP BY runtime")
        return dict(rows.fetchall())

    def delete_repo(self, repo_id: str, *, by_user: bool = False) -> None:
        """``by_user``: the user removed it; a catalog left empty by that is not one that lost its repositories."""
        with self._write_lock, self._conn() as conn:
            conn.execute("DELETE FROM chunks WHERE repo_id = ?", (repo_id,))
            conn.execute("DELETE FROM imports WHERE repo_id = ?", (repo_id,))
            conn.execute("DELETE FROM files WHERE repo_id = ?", (repo_id,))
            conn.execute("DELETE FROM repos WHERE repo_id = ?", (repo_id,))
            if by_user:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('removed_by_user', ?)", (str(time.time()),))

    def removed_by_user(self) -> bool:
        """Whether the user has removed a repository from this catalog (repos --remove, the window's Remove)."""
        return self._conn().execute("SELECT 1 FROM meta WHERE key = 'removed_by_user'").fetchone() is not None

    # -- files --------------------------------------------------------------------------------

    def file_states(self, repo_id: str) -> dict[str, FileRecord]:
        rows = self._conn().execute(
            "SELECT path, language, size, mtime_ns, content_hash, skip_reason, chunk_count FROM files WHERE repo_id = ?",
            (repo_id,)).fetchall()
        return {row["path"]: FileRecord(**dict(row)) for row in rows}

    def file_state(self, repo_id: str, path: str) -> FileRecord | None:
        row = self._conn().execute(
            "SELECT path, language, size, mtime_ns, content_hash, skip_reason, chunk_count FROM files "
            "WHERE repo_id = ? AND path = ?", (repo_id, path)).fetchone()
        return FileRecord(**dict(row)) if row else None

    def files(self, repo_id: str, indexed_only: bool = False) -> list[FileRecord]:
        sql = "SELECT path, language, size, mtime_ns, content_hash, skip_reason, chunk_count FROM files WHERE repo_id = ?"
        if indexed_only:
            sql += " AND skip_reason IS NULL"
        return [FileRecord(**dict(row)) for row in self._conn().execute(sql + " ORDER BY path", (repo_id,))]

    def replace_file(self, repo_id: str, record: FileRecord, chunks: list[ChunkRecord],
                     imports: Iterable[Import] = ()) -> None:
        """Swap a file's chunks and imports for new ones in one transaction (call after its vectors are stored)."""
        with self._write_lock, self._conn() as conn:
            conn.execute("DELETE FROM chunks WHERE repo_id = ? AND path = ?", (repo_id, record.path))
            self._write_file(conn, repo_id, record, len(chunks))
            conn.executemany(
                f"INSERT INTO chunks ({_CHUNK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(c.chunk_id, repo_id, c.path, c.ordinal, c.kind, c.symbol, c.language, c.start_line, c.end_line,
                  c.signature, c.summary, json.dumps(c.deps), c.code, c.embedded_text) for c in chunks])
            self.replace_imports(repo_id, record.path, imports)

    def replace_files(self, repo_id: str, batch: Iterable[tuple]) -> None:
        """``batch``: (FileRecord, chunks) or (FileRecord, chunks, imports) per file."""
        with self._write_lock, self._conn():
            for record, chunks, *imports in batch:
                self.replace_file(repo_id, record, chunks, *imports)

    def replace_imports(self, repo_id: str, path: str, imports: Iterable[Import]) -> None:
        """A file's imports, alone: read again from a file whose chunks stay (IMPORTS_VERSION)."""
        with self._write_lock, self._conn() as conn:
            conn.execute("DELETE FROM imports WHERE repo_id = ? AND path = ?", (repo_id, path))
            conn.executemany("INSERT INTO imports (repo_id, path, line, kind, module, names) VALUES (?, ?, ?, ?, ?, ?)",
                             [(repo_id, path, i.line, i.kind, i.module, json.dumps(list(i.names))) for i in imports])

    def imports(self, repo_id: str, path: str | None = None) -> list[tuple[str, Import]]:
        """(path, Import) of one repository's files, or of one file, in file and line order."""
        sql = "SELECT path, line, kind, module, names FROM imports WHERE repo_id = ?"
        params: tuple = (repo_id,)
        if path is not None:
            sql, params = sql + " AND path = ?", (repo_id, path)
        rows = self._conn().execute(sql + " ORDER BY path, line, rowid", params)
        return [(row[0], Import(row[1], row[2], row[3], tuple(json.loads(row[4])))) for row in rows]

    def symbols(self, repo_id: str) -> list[tuple[str, str, str, int, list[str]]]:
        """(path, symbol, kind, start line, deps) of every chunk of a repository (each part of a split symbol):
        its code left unread."""
        rows = self._conn().execute("SELECT path, symbol, kind, start_line, deps FROM chunks WHERE repo_id = ? "
                                    "ORDER BY path, ordinal", (repo_id,))
        return [(row[0], row[1], row[2], row[3], json.loads(row[4])) for row in rows]

    def record_skipped(self, repo_id: str, records: Iterable[FileRecord]) -> None:
        with self._write_lock, self._conn() as conn:
            for record in records:
                conn.execute("DELETE FROM chunks WHERE repo_id = ? AND path = ?", (repo_id, record.path))
                conn.execute("DELETE FROM imports WHERE repo_id = ? AND path = ?", (repo_id, record.path))
                self._write_file(conn, repo_id, record, 0)

    def touch_files(self, repo_id: str, records: Iterable[FileRecord]) -> None:
        """Refresh size/mtime of files whose content is unchanged (keeps the next scan's fast path fast)."""
        with self._write_lock, self._conn() as conn:
            conn.executemany("UPDATE files SET size = ?, mtime_ns = ? WHERE repo_id = ? AND path = ?",
                             [(r.size, r.mtime_ns, repo_id, r.path) for r in records])

    @staticmethod
    def _write_file(conn: sqlite3.Connection, repo_id: str, record: FileRecord, chunk_count: int) -> None:
        conn.execute(
            """INSERT INTO files (repo_id, path, language, size, mtime_ns, content_hash, skip_reason, chunk_count)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(repo_id, path) DO UPDATE SET language=excluded.language, size=excluded.size,
                   mtime_ns=excluded.mtime_ns, content_hash=excluded.content_hash,
                   skip_reason=excluded.skip_reason, chunk_count=excluded.chunk_count""",
            (repo_id, record.path, record.language, record.size, record.mtime_ns, record.content_hash,
             record.skip_reason, chunk_count))

    def delete_files(self, repo_id: str, paths: Iterable[str]) -> None:
        with self._write_lock, self._conn() as conn:
            for path in paths:
                conn.execute("DELETE FROM chunks WHERE repo_id = ? AND path = ?", (repo_id, path))
                conn.execute("DELETE FROM imports WHERE repo_id = ? AND path = ?", (repo_id, path))
                conn.execute("DELETE FROM files WHERE repo_id = ? AND path = ?", (repo_id, path))

    def skip_reasons(self, repo_id: str) -> dict[str, int]:
        return dict(self._conn().execute(
            """SELECT skip_reason, COUNT(*) FROM files WHERE repo_id = ? AND skip_reason IS NOT NULL
               GROUP BY skip_reason ORDER BY COUNT(*) DESC""", (repo_id,)).fetchall())

    # -- chunks -------------------------------------------------------------------------------

    def chunks_for_file(self, repo_id: str, path: str) -> list[ChunkRecord]:
        rows = self._conn().execute(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE repo_id = ? AND path = ? ORDER BY ordinal", (repo_id, path))
        return [_chunk_from_row(row) for row in rows]

    def iter_chunks(self, repo_id: str) -> Iterator[ChunkRecord]:
        rows = self._conn().execute(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE repo_id = ? ORDER BY path, ordinal", (repo_id,))
        for row in rows:
            yield _chunk_from_row(row)

    def get_chunks(self, chunk_ids: list[str]) -> dict[str, ChunkRecord]:
        found: dict[str, ChunkRecord] = {}
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start:start + 500]
            marks = ",".join("?" * len(part))
            for row in self._conn().execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE chunk_id IN ({marks})", part):
                found[row["chunk_id"]] = _chunk_from_row(row)
        return found

    def chunk_ids(self, repo_id: str | None) -> set[str]:
        """The chunk ids of one repository, or of all of them (None)."""
        if repo_id is None:
            return {row[0] for row in self._conn().execute("SELECT chunk_id FROM chunks")}
        return {row[0] for row in self._conn().execute("SELECT chunk_id FROM chunks WHERE repo_id = ?", (repo_id,))}

    def chunk_ids_made_by(self, model: str, dim: int) -> set[str]:
        """The chunk ids of the repositories whose vectors this model made: those its collection should hold."""
        rows = self._conn().execute("SELECT c.chunk_id FROM chunks c JOIN repos r ON r.repo_id = c.repo_id "
                                    "WHERE r.model = ? AND r.dim = ?", (model, dim))
        return {row[0] for row in rows}

    def chunks_state(self) -> tuple:
        """Changes whenever chunks are added, removed or changed: cheap (it reads no chunk), for cache keys.
        (Counting the chunks was not enough: a file's chunks replaced by as many may take the same rowids.)"""
        return (sum(self.chunk_writes().values()),)

    def chunk_writes(self) -> dict[str, int]:
        """How many chunks of each repository were written or removed so far (kept by triggers): a repository
        whose count moved since a copy was made has changed since."""
        return dict(self._conn().execute("SELECT repo_id, writes FROM chunk_writes").fetchall())

    def chunk_counts_made_by(self, model: str, dim: int, repo_ids: Iterable[str]) -> dict[str, int]:
        """Chunks of these repositories, of those whose vectors this model made (chunk_ids_made_by, counted)."""
        counts = {}
        for repo_id in repo_ids:
            row = self._conn().execute("SELECT COUNT(*) FROM chunks c JOIN repos r ON r.repo_id = c.repo_id "
                                       "WHERE c.repo_id = ? AND r.model = ? AND r.dim = ?",
                                       (repo_id, model, dim)).fetchone()
            if row[0]:
                counts[repo_id] = row[0]
        return counts

    def count_chunks(self, repo_id: str | None = None) -> int:
        if repo_id is None:
            # Counting a million chunks takes 40 ms and each search needs the total: kept until chunks change.
            state = self.chunks_state()
            counted = self._chunk_count
            if counted is None or counted[0] != state:
                counted = self._chunk_count = (state, self._conn().execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
            return counted[1]
        return self._conn().execute("SELECT COUNT(*) FROM chunks WHERE repo_id = ?", (repo_id,)).fetchone()[0]

    def keyword_scores(self, match: str, limit: int, repo_ids: list[str] | None = None,
                       weights: dict[str, float] | None = None) -> list[tuple[str, float]]:
        """(chunk id, bm25 score, higher is better), best first."""
        return keyword_index.search(self._conn(), match, limit, repo_ids, weights)

    def term_document_counts(self, terms: list[str]) -> dict[str, int]:
        """term -> how many chunks (of every repository) hold it, for the terms some chunk holds."""
        return keyword_index.document_counts(self._conn(), terms)

    def symbol_part_counts(self, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
        """(repo_id, path, symbol) -> how many chunks (parts) that symbol has in that file."""
        counts: dict[tuple[str, str, str], int] = {}
        for repo_id, path in dict.fromkeys((k[0], k[1]) for k in keys):
            rows = self._conn().execute(
                "SELECT symbol, COUNT(*) FROM chunks WHERE repo_id = ? AND path = ? GROUP BY symbol", (repo_id, path))
            for symbol, n in rows:
                counts[(repo_id, path, symbol)] = n
        return {key: counts.get(key, 1) for key in keys}

    def rebuild_keyword_index(self) -> None:
        with self._write_lock, self._conn() as conn:
            keyword_index.rebuild(conn)

    def reclaim(self) -> bool:
        """Give deleted rows' space back to the disk (SQLite keeps it for reuse otherwise): the keyword index
        merged, the file rewritten (VACUUM), the write-ahead log emptied. Rewrites the whole file, so it runs
        after a removal, not after each ingest. False when another process's open read kept it from finishing
        (the space is then reused by later writes)."""
        with self._write_lock:
            conn = self._conn()
            if conn.in_transaction:
                conn.commit()
            try:
                with conn:
                    keyword_index.optimize(conn)
                conn.execute("VACUUM")
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.OperationalError as exc:  # "database is locked": a reader elsewhere
                log.info("the catalog could not be compacted now: %s", exc)
                return False
            return not busy

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
