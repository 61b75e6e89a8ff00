"""The passes over every repository's Chroma collection (engine/index/vectors_children.py, issue 26): the
one-time move of an old-layout store (one collection per model) into one collection per repository, and the
search index made again whole. Wall clock, CPU and peak memory, two code trees interleaved (A, B, A, B ...) on
fresh copies of the same data.

    nice -n 10 .venv/bin/python -m bench.bench_vectors_move --store /tmp/pharos-scale/100000/home/vectors \\
        --tree before=/path/to/main/checkout --tree after=. [--per-child 25000] [--rounds 2] [--work /tmp/x]
    nice -n 10 .venv/bin/python -m bench.bench_vectors_move --home HOME_IN_THE_NEW_LAYOUT --tree ... --tree ...

--store: each run copies that vectors folder under --work and opens it with that tree's VectorStore.open.
--home: each run copies that data folder without its search index, and searches it (Workspace.search_vectors:
the index made again from every collection). Each in a process of its own (PYTHONPATH=tree); reported: wall
seconds, CPU seconds of that process and of every process it started, the peak resident memory of that process
and of its largest child, and (--store) the vectors in the new collections (read from Chroma's database)
against those in the old one, or (--home) the vectors in the search index. --per-child sets
PHAROS_VECTORS_PER_CHILD (a tree from before ignores it). Prints one JSON line a run and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

OPEN = """
import json, resource, sys, time
from pathlib import Path
from pharos_desktop.engine.index.vectors import VectorStore
from pharos_desktop.engine.settings import Settings
started = time.monotonic()
if sys.argv[2] == "store":
    VectorStore.open(Settings(), Path(sys.argv[1]))
    counted = {}
else:
    from pharos_desktop.engine.workspace import Workspace
    workspace = Workspace(Path(sys.argv[1]))
    dim = next(r.dim for r in workspace.catalog.list_repos() if r.dim)
    counted = {"search_index_vectors": workspace.search_vectors(workspace.settings.model, dim).count()}
wall = time.monotonic() - started
me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": round(wall, 1), "cpu_s": round(me.ru_utime + me.ru_stime, 1),
                  "children_cpu_s": round(children.ru_utime + children.ru_stime, 1),
                  "parent_peak_mb": round(me.ru_maxrss / 1024),
                  "largest_child_peak_mb": round(children.ru_maxrss / 1024), **counted}))
"""


def vectors_by_layout(folder: Path) -> tuple[int, int]:
    """(vectors in collections of the layout from before, vectors in collections of one repository)."""
    with closing(sqlite3.connect(f"file:{folder / 'chroma.sqlite3'}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM collection_metadata m WHERE m.collection_id = c.id AND m.key = 'repo_id'), "
            "COUNT(*) FROM collections c JOIN segments s ON s.collection = c.id AND s.scope = 'METADATA' "
            "JOIN embeddings e ON e.segment_id = s.id GROUP BY 1").fetchall()
    found = dict(rows)
    return found.get(0, 0), found.get(1, 0)


def run_once(tree: Path, source: Path, work: Path, per_child: int | None, home: bool) -> dict:
    copy = work / ("home" if home else "vectors")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("search-index", "resident") if home else None)
    old = 0 if home else vectors_by_layout(copy)[0]
    env = {**os.environ, "PYTHONPATH": str(tree), "ANONYMIZED_TELEMETRY": "False",
           "PHAROS_HOME": str(copy if home else work / "home")}
    if per_child:
        env["PHAROS_VECTORS_PER_CHILD"] = str(per_child)
    done = subprocess.run([sys.executable, "-c", OPEN, str(copy), "home" if home else "store"], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=6 * 3600)
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if not home:
        left, moved = vectors_by_layout(copy)
        figures.update(old_vectors=old, moved_vectors=moved, left_in_old=left)
    figures["load"] = os.getloadavg()[0]
    shutil.rmtree(copy, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="an old-layout vectors folder (left as it is): the move")
    parser.add_argument("--home", type=Path, help="a data folder in the new layout (left as it is): the search index")
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH of a checkout; two or more")
    parser.add_argument("--per-child", type=int, help="vectors a child moves at most (PHAROS_VECTORS_PER_CHILD)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-vectors-move"))
    args = parser.parse_args()
    if not (args.store or args.home):
        parser.error("--store or --home")
    trees = [(name, Path(path).resolve()) for name, path in (tree.split("=", 1) for tree in args.tree)]
    results = []
    for round_ in range(args.rounds):
        for name, tree in trees:
            figures = {"tree": name, "round": round_ + 1, "load_before": os.getloadavg()[0],
                       **run_once(tree, args.home or args.store, args.work / name, args.per_child, bool(args.home))}
            print(json.dumps(figures), flush=True)
            results.append(figures)
    print("\n| tree | round | wall s | CPU s (parent + children) | parent peak MB | largest child peak MB | "
          "vectors (moved / in the old store, or in the search index) | load |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['tree']} | {r['round']} | {r['wall_s']} | {r['cpu_s']} + {r['children_cpu_s']} | "
              f"{r['parent_peak_mb']} | {r['largest_child_peak_mb']} | "
              f"{r.get('search_index_vectors') or str(r['moved_vectors']) + ' / ' + str(r['old_vectors'])} | "
              f"{r['load_before']:.1f}-{r['load']:.1f} |")


if __name__ == "__main__":
    main()
