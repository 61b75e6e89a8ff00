"""`pharos-desktop doctor --repair`: a damaged catalog is rebuilt from what can still be read of it.

The damaged file (with its -wal and -shm) is moved aside under a name with the time, never deleted. A
fresh catalog is made in its place and every row that can still be read is copied into it, table by table
and a few rows at a time (a run that fails is split until single rows), so a bad page loses only the rows
it held. The keyword index is then built again from the chunks kept. A file keeps its rows only with all
its chunks; a repository that lost files is marked interrupted, so that its next ingest reads them again.
Rows of files whose repository row was lost are kept too: an ingest of that repository finds them and
embeds them no more than it must.

Repositories whose checkout (clones/<repo_id>) or vectors are still in the data folder, but which the
catalog no longer lists, are named with the command that ingests them again: the checkout's origin URL,
or the source of a job that ingested them.
"""

from __future__ import annotations

import shlex
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .index import keyword_index
from .index.catalog_file import CORE_TABLES, REPAIR_COMMAND, is_damage, missing_tables
from .errors import PharosError, StoreError
from .source.git import local_git
from .settings import Settings, check_writable
from .settings import data_folder as default_data_folder
from .source.spec import parse_source
from .states import RepoState
from .workspace import Workspace

REPORTED_TABLES = ("repos", "files", "chunks", "jobs", "sync_files", "sync_repos")
_RUN = 64  # rows read at a time
_GIVE_UP_AFTER = 100_000  # rowids without one readable row, when the damage hides where a table ends


@dataclass
class TableCount:
    table: str
    kept: int
    lost: int | None  # None: the damaged file does not tell how many rows it held


@dataclass
class Restorable:
    """A repository with a checkout or vectors in the data folder that the catalog does not list."""

    repo_id: str
    holds: str  # "a checkout", "vectors", "a checkout and vectors"
    command: str  # the ingest that restores it; "" when its source is unknown


@dataclass
class RepairReport:
    catalog: Path
    problem: str  # what was wrong; "" when the catalog was healthy and nothing was changed
    moved_to: Path | None = None
    tables: list[TableCount] | None = None  # None: not even the damaged file's list of tables could be read
    restorable: list[Restorable] = field(default_factory=list)


def catalog_problem(path: Path) -> str:
    """What is wrong with the catalog file at ``path``; "" when SQLite's own check finds it sound."""
    if not path.exists():
        return ""
    try:
        conn = _open_read_only(path)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    try:
        missing = missing_tables(conn)
        if missing:
            return f"missing table{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
        verdict = [row[0] for row in conn.execute("PRAGMA quick_check")]
        return "" if verdict == ["ok"] else verdict[0]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()


def repair_catalog(data_folder: Path | None = None, settings: Settings | None = None) -> RepairReport:
    """Rebuild a damaged catalog; a healthy one is left as it is. Either way, name what can be restored."""
    data_folder = Path(data_folder) if data_folder else default_data_folder()
    check_writable(data_folder)
    settings = settings or Settings.load()
    path = data_folder / "catalog.sqlite"
    report = RepairReport(path, catalog_problem(path))
    unfinished: Counter = Counter()
    if report.problem:
        report.moved_to = _move_aside(path)
        Workspace(data_folder, settings).catalog.close()  # a fresh catalog, with every table of this version
        report.tables, unfinished = _salvage(report.moved_to, path)
    workspace = Workspace(data_folder, settings)
    report.restorable = restorable(workspace, unfinished)
    workspace.catalog.close()
    return report


def emptied_catalog_problem(workspace: Workspace) -> str:
    """A catalog that lists no repositories while the data folder holds checkouts or a vector store was
    emptied (or replaced), not newly made: one line saying so, or "" when it is not the case."""
    if workspace.catalog.repo_names() or workspace.catalog.removed_by_user():
        return ""
    checkouts = len(_checkouts(workspace))
    held = [f"{checkouts} checkout{'s' if checkouts > 1 else ''}"] if checkouts else []
    if not workspace.settings.chroma_url and (workspace.vectors_dir / "chroma.sqlite3").is_file():
        held.append("a vector store")
    if not held:
        return ""
    return (f"the catalog {workspace.catalog.path} holds no repositories, although the data folder holds "
            f"{' and '.join(held)}: run {REPAIR_COMMAND}")


def raise_if_emptied(workspace: Workspace) -> None:
    problem = emptied_catalog_problem(workspace)
    if problem:
        raise StoreError(problem)


# -- the copy ----------------------------------------------------------------------------------------

def _open_read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a file that is not a database fails here
    return conn


def _move_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.stem}.damaged-{stamp}-{n}{path.suffix}")
    for suffix in ("-wal", "-shm"):  # they belong to the damaged file: its last writes may be in the -wal
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.replace(aside.with_name(aside.name + suffix))
    path.replace(aside)
    return aside


def _salvage(damaged: Path, fresh: Path) -> tuple[list[TableCount] | None, Counter]:
    """Copy what can be read; returns the count per table, and repo_id -> files the damaged catalog held
    and the new one does not (the next ingest reads them again)."""
    try:
        old = _open_read_only(damaged)
        schema = {name: sql for name, sql in old.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    except sqlite3.DatabaseError:
        return None, Counter()
    new = sqlite3.connect(fresh)
    keyword_index.register(new)
    try:
        for trigger in ("chunks_kw_ai", "chunks_kw_ad"):  # the keyword index is built once, after the copy
            new.execute(f"DROP TRIGGER {trigger}")
        present = {row[0] for row in new.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        tables = [t for t in dict.fromkeys(CORE_TABLES + tuple(sorted(schema)))
                  if t in schema and not t.startswith("chunks_kw")]  # the keyword index's own tables
        for table in tables:
            if table not in present:  # a table this version makes only when needed (sync_files, sync_repos)
                new.execute(schema[table])
            _copy_table(old, new, table)
            new.commit()
        _drop_partial_files(new)
        kept = set(new.execute("SELECT repo_id, path FROM files"))
        unfinished = Counter(repo_id for repo_id, _ in _file_keys(old, schema) - kept)
        # Not ready any more: `repos` shows it, and their next ingest checks their vectors as after a stop.
        new.executemany("UPDATE repos SET state = ?, error = ? WHERE repo_id = ?",
                        [(RepoState.INTERRUPTED, f"the catalog repair lost the rows of {n} files: ingest it again",
                          repo_id) for repo_id, n in unfinished.items()])
        counts = [_count(old, new, table) for table in REPORTED_TABLES if table in schema or table in CORE_TABLES]
        keyword_index.ensure(new)  # the triggers again
        keyword_index.rebuild(new)
        new.commit()
    finally:
        new.close()
        old.close()
    return counts, unfinished


def _count(old: sqlite3.Connection, new: sqlite3.Connection, table: str) -> TableCount:
    kept = new.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    held = _row_count(old, table)
    return TableCount(table, kept, None if held is None else max(held - kept, 0))


def _copy_table(old: sqlite3.Connection, new: sqlite3.Connection, table: str) -> None:
    wanted = {row[1] for row in new.execute(f"PRAGMA table_info({table})")}
    columns = [row[1] for row in old.execute(f"PRAGMA table_info({table})") if row[1] in wanted]
    names = ", ".join(columns)
    verb = "INSERT OR IGNORE" if table == "meta" else "INSERT"  # the fresh catalog's own meta keys win
    insert = f"{verb} INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    for row in _readable_rows(old, table, names):
        try:
            new.execute(insert, row)
        except sqlite3.DatabaseError:  # a row the damage garbled (a duplicate key, a NULL where none may be)
            pass


def _drop_partial_files(new: sqlite3.Connection) -> None:
    """A file is in the index with all its chunks or not at all: chunks whose file row was lost go, and so
    do files that lost some of their chunks. The next ingest reads them again."""
    partial = set(new.execute(
        """SELECT repo_id, path FROM chunks c WHERE NOT EXISTS
           (SELECT 1 FROM files f WHERE f.repo_id = c.repo_id AND f.path = c.path)"""))
    partial.update(new.execute(
        """SELECT repo_id, path FROM files f WHERE skip_reason IS NULL AND chunk_count !=
           (SELECT count(*) FROM chunks c WHERE c.repo_id = f.repo_id AND c.path = f.path)"""))
    new.executemany("DELETE FROM chunks WHERE repo_id = ? AND path = ?", partial)
    new.executemany("DELETE FROM files WHERE repo_id = ? AND path = ?", partial)
    new.commit()


def _file_keys(old: sqlite3.Connection, schema: dict[str, str]) -> set[tuple[str, str]]:
    """(repo_id, path) of every file the damaged catalog held, as far as it still tells: from the index
    over the files' keys, which may outlive their rows, else from the index over the chunks."""
    queries = []
    if "files" in schema:
        queries.append("SELECT repo_id, path FROM files INDEXED BY sqlite_autoindex_files_1")
    if "chunks" in schema:
        queries.append("SELECT DISTINCT repo_id, path FROM chunks INDEXED BY chunks_by_file")
    for sql in queries:
        try:
            return set(old.execute(sql))
        except sqlite3.DatabaseError:
            continue
    return set()


def _readable_rows(old: sqlite3.Connection, table: str, names: str):
    """Every row that can be read, by runs of rowids; a run that fails is split in two until single rows."""
    select = f"SELECT {names} FROM {table} WHERE rowid BETWEEN ? AND ?"

    def read(low: int, high: int) -> list:
        try:
            return old.execute(select, (low, high)).fetchall()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc) or low == high:
                return []
            middle = (low + high) // 2
            return read(low, middle) + read(middle + 1, high)

    last = _last_rowid(old, table)
    low = found_at = 1
    while low <= (last if last is not None else found_at + _GIVE_UP_AFTER):
        rows = read(low, low + _RUN - 1)
        if rows:
            found_at = low
        yield from rows
        low += _RUN


def _indexes(old: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [row[1] for row in old.execute(f"PRAGMA index_list({table})")]
    except sqlite3.DatabaseError:
        return []


def _first_answer(old: sqlite3.Connection, queries: list[str]) -> int | None:
    for sql in queries:
        try:
            return old.execute(sql).fetchone()[0] or 0
        except sqlite3.DatabaseError:
            continue
    return None


def _last_rowid(old: sqlite3.Connection, table: str) -> int | None:
    """The largest rowid, from the table or else from any of its indexes (each holds every row's rowid)."""
    return _first_answer(old, [f"SELECT max(rowid) FROM {table}"]
                         + [f"SELECT max(rowid) FROM {table} INDEXED BY {index}" for index in _indexes(old, table)])


def _row_count(old: sqlite3.Connection, table: str) -> int | None:
    """How many rows the damaged table held, where the table or one of its indexes can still be counted."""
    return _first_answer(old, [f"SELECT count(*) FROM {table}"]
                         + [f"SELECT count(*) FROM {table} INDEXED BY {index}" for index in _indexes(old, table)])


# -- what can be restored ------------------------------------------------------------------------------

def _checkouts(workspace: Workspace) -> dict[str, Path]:
    """repo_id -> its clone, for the clones the catalog does not list (a killed clone's .tmp- folder aside)."""
    clones = workspace.clones_dir
    if not clones.is_dir():
        return {}
    listed = workspace.catalog.repo_names()
    return {path.name: path for path in sorted(clones.iterdir())
            if not path.name.startswith(".") and (path / ".git").is_dir() and path.name not in listed}


def restorable(workspace: Workspace, unfinished: Counter | None = None) -> list[Restorable]:
    """Repositories with a checkout, vectors or file rows that the catalog does not list, and listed ones
    with files to read again (``unfinished``: repo_id -> files), each with the ingest that restores it."""
    unfinished = unfinished or Counter()
    catalog = workspace.catalog
    listed = set(catalog.repo_names())
    checkouts = _checkouts(workspace)
    with_vectors = _repos_with_vectors(workspace) - listed
    with_rows = {row[0] for row in catalog.read(
        "SELECT DISTINCT repo_id FROM files WHERE repo_id NOT IN (SELECT repo_id FROM repos)")}
    found = []
    for repo_id in sorted(set(checkouts) | with_vectors | with_rows | set(unfinished)):
        holds = [what for what, has in (("a checkout", repo_id in checkouts), ("vectors", repo_id in with_vectors),
                                        ("file rows", repo_id in with_rows)) if has]
        if unfinished[repo_id]:
            holds.append(f"{unfinished[repo_id]} file{'s' if unfinished[repo_id] > 1 else ''} to read again")
        sources = []
        if repo_id in listed:
            repo = catalog.find_repo(repo_id)
            sources.append((repo.source, repo.branch))
        if repo_id in checkouts:
            sources.append(_checkout_source(checkouts[repo_id]))
        sources.append(_job_source(workspace, repo_id))
        command = next((c for c in (ingest_command(repo_id, *source) for source in sources if source) if c), "")
        found.append(Restorable(repo_id, " and ".join(holds), command))
    return found


def _repos_with_vectors(workspace: Workspace) -> set[str]:
    if not workspace.settings.chroma_url and not (workspace.vectors_dir / "chroma.sqlite3").is_file():
        return set()  # none here: opening the store would only make an empty one
    return workspace.vectors().repo_ids()


def _checkout_source(checkout: Path) -> tuple[str, str] | None:
    """(origin URL, the branch checked out) of a clone."""
    code, url = local_git(["config", "--get", "remote.origin.url"], checkout)
    if code != 0 or not url:
        return None
    return url, local_git(["symbolic-ref", "--short", "-q", "HEAD"], checkout)[1]


def _job_source(workspace: Workspace, repo_id: str) -> tuple[str, str] | None:
    """(source, branch) that the newest ingest on record was asked."""
    request = workspace.jobs.last_request(repo_id)
    return (request["source"], request.get("branch") or "") if request.get("source") else None


def ingest_command(repo_id: str, source: str, branch: str) -> str:
    """The ingest that makes this repository id again ("" if ``source`` does not): the id is made from the
    source, and from the branch where one was asked for. A folder given by a relative path, or gone since,
    does not make it."""
    for asked in dict.fromkeys(("", branch)):
        try:
            spec = parse_source(source, asked or None)
        except PharosError:
            continue
        if spec.repo_id == repo_id:
            return f"pharos-desktop ingest {shlex.quote(spec.location)}" + (f" --branch {shlex.quote(asked)}"
                                                                            if asked else "")
    return ""
