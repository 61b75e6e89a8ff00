"""The search index (engine/index/vector_index.py) at scale, without the rest of an ingest.

    .venv/bin/python -m bench.bench_vector_index --source DATA_FOLDER [--rows 1000000] [--work DIR]

Synthetic rows: perturbed copies (Gaussian noise, sigma 0.03 a dimension, then unit length) of the real vectors in
an existing data folder's search index (or its older search-cache snapshot); queries are other perturbed copies.
Measures: the build (appending every row), a one-file update (20 rows dropped, 20 appended) and what it wrote,
the disk, a query from a fresh process (open + first query, wall and peak RSS), the p50 of further queries with
and without a repository filter, and recall@10 against an exact float32 scan of the same rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pharos_desktop.engine.index import vector_index  # noqa: E402
from pharos_desktop.engine.index.vector_index import IndexWriter, VectorIndex  # noqa: E402

FRESH = """
import json, sys, time
def peak_rss_mb():  # VmHWM: ru_maxrss would carry the parent's peak over the exec
    line = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
    return int(line.split()[1]) / 1024
began = time.perf_counter()
import numpy as np
from pharos_desktop.engine.index.vector_index import VectorIndex
index = VectorIndex.open(__import__("pathlib").Path(sys.argv[1]), "bench")
query = np.load(sys.argv[2])[0]
index.query(query, 100)
print(json.dumps({"wall_s": time.perf_counter() - began,
                  "rss_mb": peak_rss_mb()}))
"""


def real_vectors(source: Path) -> np.ndarray:
    found = sorted(source.glob("search-cache/*.npz"))
    if found:
        with np.load(found[0]) as data:
            return data["vectors"].astype("float32")
    folder = sorted(source.glob("search-index/*/manifest.json"))[0].parent
    manifest = json.loads((folder / "manifest.json").read_text())
    index = VectorIndex.open(folder, manifest["key"])
    return np.asarray(index._arrays["i8"], dtype="float32") * np.asarray(index._arrays["scale"])[:, None]


def perturbed(real: np.ndarray, start: int, count: int, rng) -> np.ndarray:
    base = real[np.arange(start, start + count) % len(real)]
    vectors = base + rng.normal(0, 0.03, base.shape).astype("float32")
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype("float32")


def keep_best(best: tuple, scores: np.ndarray, first_row: int, keep: int = 40) -> tuple:
    """The ``keep`` best (rows, scores) per query so far, with a block of scores for rows from ``first_row``."""
    rows = np.concatenate([best[0], first_row + np.broadcast_to(np.arange(scores.shape[1]), scores.shape)], axis=1)
    scores = np.concatenate([best[1], scores], axis=1)
    top = np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
    return np.take_along_axis(rows, top, axis=1), np.take_along_axis(scores, top, axis=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--work", type=Path, default=Path("/tmp/pharos-bench-vector-index"))
    args = parser.parse_args()
    real = real_vectors(args.source)
    dim = real.shape[1]
    folder = args.work / f"index-{args.rows}"
    rng = np.random.default_rng(7)
    queries = perturbed(real, 5000, args.queries, np.random.default_rng(11))
    args.work.mkdir(parents=True, exist_ok=True)
    np.save(args.work / "queries.npy", queries)
    repos = [f"repo{n}" for n in range(40)]
    best = np.zeros((args.queries, 0), dtype="int64"), np.zeros((args.queries, 0), dtype="float32")
    began = time.perf_counter()
    exact_s = 0.0
    with IndexWriter(folder, dim) as writer:
        writer.reset()
        for start in range(0, args.rows, 50_000):
            count = min(50_000, args.rows - start)
            vectors = perturbed(real, start, count, rng)
            writer.append([f"{n:032x}" for n in range(start, start + count)], vectors,
                          [{"repo_id": repos[n % 40], "language": "python", "kind": "function"}
                           for n in range(start, start + count)])
            counted = time.perf_counter()
            best = keep_best(best, queries @ vectors.T, start)  # the exact float32 answer, kept as it goes
            exact_s += time.perf_counter() - counted
        writer.commit("bench", {}, {})
    build_s = time.perf_counter() - began - exact_s
    disk = sum(path.stat().st_size for path in folder.iterdir())

    sizes = {path.name: path.stat().st_size for path in folder.iterdir()}
    began = time.perf_counter()
    with IndexWriter(folder, dim) as writer:  # one file changed: 20 chunks out, 20 in
        live = writer.live_ids("repo0")
        writer.drop([live[f"{n:032x}"] for n in range(1000, 1800, 40)])
        writer.append([f"{n:032x}" for n in range(args.rows, args.rows + 20)],
                      perturbed(real, 0, 20, np.random.default_rng(5)), [{"repo_id": "repo0"}] * 20)
        writer.commit("bench", {}, {})
    update_s = time.perf_counter() - began
    written = sum(path.stat().st_size - sizes.get(path.name, 0) for path in folder.iterdir()
                  if path.stat().st_size != sizes.get(path.name))

    fresh = [json.loads(subprocess.run([sys.executable, "-c", FRESH, str(folder), str(args.work / "queries.npy")],
                                       capture_output=True, text=True, check=True,
                                       env=dict(os.environ, PYTHONPATH=str(ROOT))).stdout) for _ in range(5)]
    index = VectorIndex.open(folder, "bench")
    index.query(queries[0], 10)
    timings, filtered, hits = [], [], []
    for query in queries:
        began = time.perf_counter()
        hits.append([int(chunk_id, 16) for chunk_id, _ in index.query(query, 100)[:10]])
        timings.append(time.perf_counter() - began)
        began = time.perf_counter()
        index.query(query, 100, {"repo_id": {"$in": ["repo3", "repo4"]}})
        filtered.append(time.perf_counter() - began)
    appended = perturbed(real, 0, 20, np.random.default_rng(5))
    rows, scores = keep_best(best, queries @ appended.T, args.rows)
    scores[(rows >= 1000) & (rows < 1800) & (rows % 40 == 0)] = -np.inf  # the rows the update dropped
    exact = np.take_along_axis(rows, np.argsort(-scores, axis=1)[:, :10], axis=1)
    recall = float(np.mean([len(set(h) & set(e)) / 10 for h, e in zip(hits, exact.tolist())]))
    report = {"rows": args.rows, "dim": dim, "exact_rows": vector_index.EXACT_ROWS, "rescore": vector_index.RESCORE,
              "build_s": round(build_s, 1), "disk_mb": round(disk / 1e6), "disk_bytes_per_row": round(disk / args.rows),
              "update_one_file_s": round(update_s, 3), "update_bytes_written": written,
              "fresh_process_open_and_query_s_p50": round(float(np.median([f["wall_s"] for f in fresh])), 3),
              "fresh_process_rss_mb": round(max(f["rss_mb"] for f in fresh)),
              "query_p50_ms": round(1000 * float(np.median(timings)), 1),
              "filtered_query_p50_ms": round(1000 * float(np.median(filtered)), 1), "recall_at_10": round(recall, 4),
              "load": os.getloadavg()[0], "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
