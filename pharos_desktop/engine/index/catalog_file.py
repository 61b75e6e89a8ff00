"""The catalog's SQLite file: the connection every catalog read and write goes through.

SQLite reports a damaged file (a malformed page, a file that is not a database, a table gone) wherever a
query first touches the damage: in any command, in the window, in a sync. This connection tells that
damage from other errors at the one place they all pass and turns it into one line that names the file
and the way out, ``pharos-desktop doctor --repair`` (catalog_repair.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import CatalogDamaged

REPAIR_COMMAND = "pharos-desktop doctor --repair"
CORE_TABLES = ("meta", "repos", "files", "chunks")  # in every catalog since the first version

_DAMAGE_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """SQLite's own verdict (the extended codes, such as a damaged FTS index, keep it in their low byte),
    or a table that the schema names and the file no longer has."""
    code = getattr(exc, "sqlite_errorcode", None)
    return (code is not None and code & 0xFF in _DAMAGE_CODES) or str(exc).startswith("no such table")


def damaged(path: Path, reason: object) -> CatalogDamaged:
    return CatalogDamaged(f"the catalog {path} is damaged ({reason}): run {REPAIR_COMMAND}")


def missing_tables(conn: sqlite3.Connection) -> list[str]:
    """The core tables that a catalog holding any table lacks. A new file holds none: that is no damage."""
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [name for name in CORE_TABLES if name not in present] if present else []


def _checked(connection: "CheckedConnection", exc: sqlite3.DatabaseError) -> Exception:
    return damaged(connection.catalog_path, exc) if is_damage(exc) else exc


class CheckedCursor(sqlite3.Cursor):
    """Rows are read lazily: damage can surface on any fetch, not only when the query starts."""

    connection: "CheckedConnection"

    def execute(self, sql, parameters=()):
        try:
            return super().execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            raise _checked(self.connection, exc) from exc

    def executemany(self, sql, seq_of_parameters):
        try:
            return super().executemany(sql, seq_of_parameters)
        except sqlite3.DatabaseError as exc:
            raise _checked(self.connection, exc) from exc

    def executescript(self, sql_script):
        try:
            return super().executescript(sql_script)
        except sqlite3.DatabaseError as exc:
            raise _checked(self.connection, exc) from exc

    def fetchone(self):
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as exc:
            raise _checked(self.connection, exc) from exc

    def fetchmany(self, size=None):
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlite3.DatabaseError as exc:
            raise _checked(self.connection, exc) from exc

    def fetchall(self):
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as exc:
            raise _checked(self.connection, exc) from exc

    def __next__(self):
        try:
            return super().__next__()
        except sqlite3.DatabaseError as exc:
            raise _checked(self.connection, exc) from exc


class CheckedConnection(sqlite3.Connection):
    """sqlite3.Connection whose queries run on CheckedCursors (its own execute would bypass them)."""

    catalog_path: Path

    def cursor(self, factory=CheckedCursor):
        return super().cursor(factory)

    def execute(self, sql, parameters=()):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script):
        return self.cursor().executescript(sql_script)

    def commit(self):
        try:
            super().commit()
        except sqlite3.DatabaseError as exc:
            raise _checked(self, exc) from exc

    def __exit__(self, *exc_info):
        try:
            return super().__exit__(*exc_info)
        except sqlite3.DatabaseError as exc:
            raise _checked(self, exc) from exc


def connect(path: Path, **options) -> CheckedConnection:
    conn = sqlite3.connect(path, factory=CheckedConnection, **options)
    conn.catalog_path = Path(path)
    return conn
