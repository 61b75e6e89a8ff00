"""The keyword query alone, per FTS5 table layout, on a real catalog (issue 26: search at a million chunks).

    nice -n 10 .venv/bin/python -m bench.bench_keyword_index --catalog COPY/catalog.sqlite [--rounds 3]

Reads the catalog's chunks (read-only), tokenizes them once as the index does (words.py), then builds one
keyword table per layout, each in a file of its own under --work: the index as it was (detail=full, with
per-chunk token counts), detail=column, detail=none, and without token counts (columnsize=0, the index
now). Times the window's questions (bench_search_window.QUESTIONS) against each, interleaved (every
question on every layout in turn, --rounds times), as keyword_index.search runs them: every query word
matched, bm25 with the field weights, best 100. Prints CPU and wall p50 per layout, its size on disk, and
the load average. Quality is bench/search_eval.py's (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_search_window import QUESTIONS  # noqa: E402
from pharos_desktop.engine.index import keyword_index  # noqa: E402
from pharos_desktop.engine.index.words import index_text, query_terms  # noqa: E402

LAYOUTS = {"full": "", "column": ", detail=column", "none": ", detail=none", "no sizes": ", columnsize=0"}
MB = 1024 * 1024


def tokenize(catalog: Path, out: Path) -> int:
    conn = sqlite3.connect(out)
    conn.execute("CREATE TABLE tok(rowid INTEGER PRIMARY KEY, name, path, doc, code)")
    source = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    rows = source.execute("SELECT rowid, symbol, path, summary, code FROM chunks")
    count = 0
    while batch := rows.fetchmany(5000):
        conn.executemany("INSERT INTO tok VALUES (?, ?, ?, ?, ?)",
                         [(r[0], *(index_text(text) for text in r[1:])) for r in batch])
        count += len(batch)
    conn.commit()
    return count


def build(tokens: Path, out: Path, options: str) -> float:
    """Seconds to fill and merge the table (as a rebuild on open does, less the tokenizing)."""
    conn = sqlite3.connect(out)
    conn.execute("ATTACH ? AS t", (str(tokens),))
    conn.execute("CREATE VIRTUAL TABLE chunks_kw USING fts5(name, path, doc, code, content='', "
                 f"tokenize='ascii'{options})")
    began = time.perf_counter()
    conn.execute("INSERT INTO chunks_kw(rowid, name, path, doc, code) SELECT rowid, name, path, doc, code FROM t.tok")
    keyword_index.optimize(conn)
    conn.commit()
    seconds = time.perf_counter() - began
    conn.execute("DETACH t")
    conn.execute("VACUUM")
    conn.close()
    return seconds


def measure(files: dict[str, Path], rounds: int) -> dict[str, dict]:
    weights = ", ".join(str(keyword_index.WEIGHTS[f]) for f in keyword_index.FIELDS)
    rank = f"bm25(chunks_kw, {weights})"
    sql = f"SELECT rowid, -{rank} FROM chunks_kw WHERE chunks_kw MATCH ? ORDER BY {rank} LIMIT 100"
    conns = {name: sqlite3.connect(f"file:{path}?mode=ro", uri=True) for name, path in files.items()}
    matches = [keyword_index.match_expression(query_terms(q)) for q in QUESTIONS]
    for conn in conns.values():  # each file read once into the page cache before timing
        for match in matches:
            conn.execute(sql, (match,)).fetchall()
    cpu: dict[str, list[float]] = {name: [] for name in conns}
    wall: dict[str, list[float]] = {name: [] for name in conns}
    loads = []
    for _ in range(rounds):
        loads.append(os.getloadavg()[0])
        for match in matches:
            for name, conn in conns.items():
                began, cpu_began = time.perf_counter(), time.process_time()
                conn.execute(sql, (match,)).fetchall()
                cpu[name].append((time.process_time() - cpu_began) * 1000)
                wall[name].append((time.perf_counter() - began) * 1000)
    return {name: {"cpu_p50_ms": round(statistics.median(cpu[name]), 1),
                   "cpu_mean_ms": round(statistics.mean(cpu[name]), 1),
                   "wall_p50_ms": round(statistics.median(wall[name]), 1),
                   "disk_mb": round(files[name].stat().st_size / MB),
                   "load_average": f"{min(loads):.1f}-{max(loads):.1f}"} for name in conns}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalog", type=Path, required=True, help="a catalog.sqlite (read only; use a copy)")
    parser.add_argument("--work", type=Path, help="folder for the token and layout files (default: a temporary one)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="pharos-bench-keyword-"))
    work.mkdir(parents=True, exist_ok=True)
    tokens = work / "tokens.sqlite"
    if not tokens.exists():
        began = time.perf_counter()
        count = tokenize(args.catalog, tokens)
        print(f"tokenized {count} chunks in {time.perf_counter() - began:.0f} s", flush=True)
    files = {}
    for name, options in LAYOUTS.items():
        files[name] = work / f"keyword-{name.replace(' ', '-')}.sqlite"
        if not files[name].exists():
            print(f"{name}: built in {build(tokens, files[name], options):.0f} s", flush=True)
    results = measure(files, args.rounds)
    print(f"{'layout':<10} {'CPU p50 ms':>10} {'CPU mean ms':>11} {'wall p50 ms':>11} {'disk MB':>8}  load")
    for name, r in results.items():
        print(f"{name:<10} {r['cpu_p50_ms']:>10} {r['cpu_mean_ms']:>11} {r['wall_p50_ms']:>11} {r['disk_mb']:>8}  "
              f"{r['load_average']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
