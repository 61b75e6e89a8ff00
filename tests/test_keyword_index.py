"""The keyword index's own layout (issue 26): an index an older version wrote is made again on open, once, with
the options of this version, and the triggers keep the new one in step with the chunks."""

from __future__ import annotations

import logging
import sqlite3

from pharos_desktop.engine.index import keyword_index
from pharos_desktop.engine.index.catalog import Catalog, ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.index.words import query_terms

REBUILT = "rebuilding the keyword index of 2 chunks for this version (once; nothing is re-embedded)"


def chunk(path: str, symbol: str) -> ChunkRecord:
    code = f"def {symbol}():\n    pass\n"
    return ChunkRecord(f"{path}#{symbol}", "r1", path, 0, "function", symbol, "python", 1, 2, f"def {symbol}():",
                       f"[python] def {symbol}()", [], code, code)


def found(catalog: Catalog, query: str) -> list[str]:
    return [chunk_id for chunk_id, _ in catalog.keyword_scores(keyword_index.match_expression(query_terms(query)), 10)]


def write_as_version_3(path) -> None:
    """The index as version 3 made it: per-chunk token counts kept (no columnsize=0)."""
    conn = sqlite3.connect(path)
    keyword_index.register(conn)
    conn.execute("DROP TABLE chunks_kw")
    conn.execute("CREATE VIRTUAL TABLE chunks_kw USING fts5(name, path, doc, code, content='', tokenize='ascii')")
    keyword_index.rebuild(conn)
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'keyword_index'")
    conn.commit()
    conn.close()


def layout(path) -> tuple[str, set[str]]:
    conn = sqlite3.connect(path)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'chunks_kw'").fetchone()[0]
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'chunks_kw%'")}
    conn.close()
    return sql, tables


def test_an_index_an_older_version_wrote_is_made_again_on_open_once(tmp_path, caplog):
    path = tmp_path / "catalog.sqlite"
    catalog = Catalog(path)
    catalog.upsert_repo(RepoRecord("r1", "tools", "/src/tools", "local"))
    catalog.replace_file("r1", FileRecord("src/a.py", "python", 10, 1, "h1"),
                         [chunk("src/a.py", "parse_header"), chunk("src/a.py", "send_request")])
    catalog.close()
    write_as_version_3(path)
    assert "chunks_kw_docsize" in layout(path)[1]

    with caplog.at_level(logging.INFO, logger="pharos_desktop"):
        catalog = Catalog(path)
    assert caplog.messages == [REBUILT]
    sql, tables = layout(path)
    assert "columnsize=0" in sql and "chunks_kw_docsize" not in tables  # no per-chunk token counts any more
    assert found(catalog, "parse header") == ["src/a.py#parse_header"]
    # The triggers write to the new table: a changed file's old chunks leave it, its new ones are found.
    catalog.replace_file("r1", FileRecord("src/a.py", "python", 12, 2, "h2"), [chunk("src/a.py", "read_config")])
    assert found(catalog, "parse header") == [] and found(catalog, "config") == ["src/a.py#read_config"]
    catalog.close()

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pharos_desktop"):
        Catalog(path).close()
    assert caplog.messages == []  # this version's index is kept as it is


def test_a_new_catalog_makes_its_index_without_a_rebuild_line(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="pharos_desktop"):
        Catalog(tmp_path / "catalog.sqlite").close()
    assert caplog.messages == []
    assert "columnsize=0" in layout(tmp_path / "catalog.sqlite")[0]
