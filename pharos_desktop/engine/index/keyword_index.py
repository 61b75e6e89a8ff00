"""The keyword index: SQLite FTS5 over each chunk's name, path, doc (its summary: signature, docstring,
calls) and code, all tokenized in Python by words.py so index and query agree exactly.

The table is contentless (the text lives in ``chunks``); triggers keep it in step with ``chunks``.
A catalog written by an older version (another tokenizer, other table options) is re-indexed on open: no
re-embedding.

It keeps no per-chunk token counts (``columnsize=0``): bm25 looked each matched chunk's up, three quarters of
the keyword query's time at a million chunks. Without them bm25 does not favour short chunks; on the tuned
codebases of bench/search_eval.py fused search lost 0.007 MRR@10 on one suite and gained 0.048 on the other
(docs/benchmarks.md, "Scale: the keyword index without token counts").
"""

from __future__ import annotations

import logging
import sqlite3

from .words import index_text

log = logging.getLogger(__name__)

VERSION = "4"  # bump when words.py, the indexed fields or the table's options change: the index is rebuilt on open
FIELDS = ("name", "path", "doc", "code")
# bm25 weight per field. Chosen on the tuned codebases of bench/search_eval.py (see its lever table).
WEIGHTS = {"name": 10.0, "path": 3.0, "doc": 1.0, "code": 0.6}

_SOURCES = "pharos_tokens({p}.symbol), pharos_tokens({p}.path), pharos_tokens({p}.summary), pharos_tokens({p}.code)"
_SCHEMA = f"""
DROP TRIGGER IF EXISTS chunks_ai;
DROP TRIGGER IF EXISTS chunks_ad;
DROP TABLE IF EXISTS chunks_fts;
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_kw USING fts5(name, path, doc, code, content='', tokenize='ascii',
                                                      columnsize=0);
CREATE TRIGGER IF NOT EXISTS chunks_kw_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_kw(rowid, name, path, doc, code) VALUES (new.rowid, {_SOURCES.format(p="new")});
END;
CREATE TRIGGER IF NOT EXISTS chunks_kw_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_kw(chunks_kw, rowid, name, path, doc, code)
    VALUES ('delete', old.rowid, {_SOURCES.format(p="old")});
END;
"""


def register(conn: sqlite3.Connection) -> None:
    """Every connection that writes chunks needs the tokenizer the triggers call."""
    conn.create_function("pharos_tokens", 1, index_text, deterministic=True)


def ensure(conn: sqlite3.Connection) -> None:
    """Create the index, or make it again when an older version wrote it (another tokenizer or table options)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'keyword_index'").fetchone()
    stale = row is None or row[0] != VERSION
    if stale:
        chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        if chunks:  # a minute or more at a million chunks: the log (and a waiting user) should know why
            log.warning("rebuilding the keyword index of %d chunks for this version (once; nothing is re-embedded)",
                        chunks)
        conn.execute("DROP TABLE IF EXISTS chunks_kw")  # its options are fixed when it is made
    conn.executescript(_SCHEMA)
    if stale:
        rebuild(conn)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('keyword_index', ?)", (VERSION,))
    conn.commit()


def rebuild(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO chunks_kw(chunks_kw) VALUES ('delete-all')")
    conn.execute(f"INSERT INTO chunks_kw(rowid, name, path, doc, code) SELECT c.rowid, {_SOURCES.format(p='c')} "
                 "FROM chunks c")


def optimize(conn: sqlite3.Connection) -> None:
    """Merge the index into one segment: deleted rows' entries are dropped from it only then."""
    conn.execute("INSERT INTO chunks_kw(chunks_kw) VALUES ('optimize')")


def document_counts(conn: sqlite3.Connection, terms: list[str]) -> dict[str, int]:
    """How many chunks hold each term (in any field); a term no chunk holds is left out."""
    # fts5vocab reads the index's own term statistics: one lookup per term, nothing scanned.
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_kw_terms USING fts5vocab(main, chunks_kw, row)")
    counts = {}
    for term in dict.fromkeys(terms):
        row = conn.execute("SELECT doc FROM temp.chunks_kw_terms WHERE term = ?", (term,)).fetchone()
        if row is not None:
            counts[term] = row[0]
    return counts


def match_expression(terms: list[str], prefix: bool = False) -> str:
    """An FTS5 query matching any of the (already tokenized) terms."""
    return " OR ".join(f'"{term}"' + ("*" if prefix else "") for term in terms)


def selective_terms(terms: list[str], counts: dict[str, int], budget: float) -> list[str]:
    """The terms worth matching: the rarest first, then more while the chunks they hold together stay within
    ``budget``. FTS5 scores every chunk a matched term holds, so a word in every tenth chunk (``python``,
    ``file``, ``get``) costs a million-chunk index hundreds of milliseconds, and bm25 gives such a word little
    weight anyway. The rarest term is always kept, however common: a one-word query of a common word still
    finds its chunks. Terms no chunk holds are left out (they match nothing)."""
    present = sorted((t for t in terms if counts.get(t)), key=lambda t: counts[t])
    kept, rows = set(), 0
    for term in present:
        rows += counts[term]
        if kept and rows > budget:
            break
        kept.add(term)
    return [t for t in terms if t in kept]  # in the query's order


def search(conn: sqlite3.Connection, match: str, limit: int, repo_ids: list[str] | None = None,
           weights: dict[str, float] | None = None) -> list[tuple[str, float]]:
    """(chunk id, score) best first; the score is bm25 with per-field weights, higher is better."""
    weights = weights or WEIGHTS
    rank = f"bm25(chunks_kw, {', '.join(str(float(weights[f])) for f in FIELDS)})"
    try:
        if repo_ids:  # the filter must apply before the limit: joined to the chunks while matching
            marks = ",".join("?" * len(repo_ids))
            return [(row[0], row[1]) for row in conn.execute(
                f"SELECT c.chunk_id, -{rank} FROM chunks_kw JOIN chunks c ON c.rowid = chunks_kw.rowid "
                f"WHERE chunks_kw MATCH ? AND c.repo_id IN ({marks}) ORDER BY {rank} LIMIT ?",
                [match, *repo_ids, limit])]
        # The best rows first, then their chunk ids: joined while matching, every matched row was looked up
        # in ``chunks`` before the sort (two thirds of the time of a common word at a million chunks).
        best = conn.execute(f"SELECT rowid, -{rank} FROM chunks_kw WHERE chunks_kw MATCH ? ORDER BY {rank} LIMIT ?",
                            (match, limit)).fetchall()
    except sqlite3.OperationalError:  # a malformed expression finds nothing rather than failing the search
        return []
    ids = dict(conn.execute(f"SELECT rowid, chunk_id FROM chunks WHERE rowid IN ({','.join('?' * len(best))})",
                            [row[0] for row in best]).fetchall()) if best else {}
    return [(ids[row[0]], row[1]) for row in best if row[0] in ids]
