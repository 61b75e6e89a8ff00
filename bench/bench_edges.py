"""What the map's edges cost an ingest (issue 27, target: at most 10% of its time): reading each file's imports,
and the disk that storing them takes.

    .venv/bin/python -m bench.bench_edges [--home DIR] [--package scipy] [--rounds 3] [--embed-sample 2000]

On a data folder holding one ingested repository (by default bench_map's: scipy's installed Python sources as a
git repository, ingested by the command line if missing):

- time: every indexed file of the repository parsed as an ingest parses it (parse.parse_source), CPU
  time of this process, once with the import query (parse.imports.imports_of) and once with it answering
  nothing, alternated --rounds times. The edges' time is the difference. The ingest's time is estimated as the
  parse plus the embedding of every chunk: the default embedder's CPU per chunk, measured on --embed-sample of
  the repository's chunk texts (those the ingest embedded). Storing rows is left out of the estimate, which
  makes the edges' share an upper bound. (A call graph needs no extra work: chunks kept their dependencies'
  names before there were maps.)
- disk: the imports table and its index (SQLite's dbstat) against the whole data folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_map import ensure_index  # noqa: E402 - after the path is set


def parse_seconds(files: list[tuple[str, str, str]], max_chars: int, with_imports: bool) -> float:
    from pharos_desktop.engine.parse import parse_source, symbols

    real = symbols.imports_of
    if not with_imports:
        symbols.imports_of = lambda _root, _language: []
    try:
        started = time.process_time()
        for path, text, language in files:
            parse_source(path, text, language, max_chars)
        return time.process_time() - started
    finally:
        symbols.imports_of = real


def embed_seconds_per_chunk(workspace, texts: list[str]) -> float:
    embedder = workspace.embedder()
    embedder.embed_documents(texts[:32])  # the first batch compiles shapes: not an ingest's steady state
    started = time.process_time()
    for start in range(0, len(texts), 64):
        embedder.embed_documents(texts[start:start + 64])
    return (time.process_time() - started) / max(1, len(texts))


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def imports_bytes(catalog: Path) -> int | None:
    with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as db:
        try:
            rows = db.execute("SELECT SUM(pgsize) FROM dbstat WHERE name IN ('imports', 'imports_by_file')")
        except sqlite3.OperationalError:  # SQLite built without dbstat
            return None
        return rows.fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=Path(tempfile.gettempdir()) / "pharos-bench-map" / "home")
    parser.add_argument("--package", default="scipy")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--embed-sample", type=int, default=2000)
    args = parser.parse_args()
    ensure_index(args.home, args.package)
    os.environ["PHAROS_HOME"] = str(args.home)
    from pharos_desktop.engine.model.embedder import expected_window_chars
    from pharos_desktop.engine.parse.languages import detect_language
    from pharos_desktop.engine.workspace import Workspace

    workspace = Workspace()
    repo = workspace.catalog.list_repos()[0]
    checkout = Path(repo.checkout_path)
    files = []
    for record in workspace.catalog.files(repo.repo_id, indexed_only=True):
        language = detect_language(record.path)
        if language:
            files.append((record.path, (checkout / record.path).read_text("utf-8", "replace"), language))
    max_chars = expected_window_chars(workspace.settings)
    with_imports, without = [], []
    for _ in range(args.rounds):
        with_imports.append(parse_seconds(files, max_chars, True))
        without.append(parse_seconds(files, max_chars, False))
    parse, edges = statistics.median(with_imports), statistics.median(with_imports) - statistics.median(without)
    with sqlite3.connect(f"file:{workspace.catalog.path}?mode=ro", uri=True) as db:  # a spread: ids are hashes
        chunks = [row[0] for row in db.execute("SELECT embedded_text FROM chunks WHERE repo_id = ? ORDER BY chunk_id "
                                               "LIMIT ?", (repo.repo_id, args.embed_sample))]
    per_chunk = embed_seconds_per_chunk(workspace, chunks)
    ingest = parse + per_chunk * repo.chunks
    disk, stored = imports_bytes(workspace.catalog.path), folder_bytes(args.home)
    print(f"{repo.name}: {len(files)} files parsed, {repo.chunks} chunks; load average {os.getloadavg()[0]:.1f}")
    print(f"parse CPU, median of {args.rounds}: {parse:.2f} s with the import query, "
          f"{statistics.median(without):.2f} s without; rounds {[round(s, 2) for s in with_imports]} / "
          f"{[round(s, 2) for s in without]}")
    print(f"embedding CPU: {per_chunk * 1000:.1f} ms a chunk ({len(chunks)} chunks of the repository), "
          f"{per_chunk * repo.chunks:.0f} s for all; the ingest's CPU estimated at {ingest:.0f} s")
    print(f"the edges' time: {edges:.2f} s, {100 * edges / parse:.1f}% of the parse, "
          f"{100 * edges / ingest:.2f}% of the ingest (target: at most 10%)")
    if disk is not None:
        print(f"the edges' disk: {disk / 1e6:.2f} MB of {stored / 1e6:.0f} MB in the data folder "
              f"({100 * disk / stored:.2f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
