"""Resident memory of an ingest against the chunks it has stored, on a repository of 100,000+ chunks.

    .venv/bin/python -m bench.bench_ingest_memory [--runtime auto,onnx-int8] [--packages torch,scipy]
                                                  [--limit N] [--out bench/results/ingest-memory.json]

Builds a git repository from the Python sources of large installed packages (torch and scipy: about
3,250 files and 130,000 chunks; nobody here wrote them, and none is a search-evaluation codebase), then,
for each runtime, runs a real `pharos-desktop ingest REPO --json` child in a fresh data folder. Every
second it samples the resident memory of the child's whole process tree (psutil) and the chunks the
catalog holds (a read-only SQLite connection), and prints RSS against chunks stored: at the first
chunk (imports, model, vector store open), at every tenth of the run, after the last chunk (the run's
finish: the vector copy for search) and the peak, with the kernel's own peak (wait4's ru_maxrss) beside
the sampled one. "growth" is the highest RSS after 10,000 chunks over the highest up to 10,000 (target:
at most 1.15, with a peak of at most 1.2 GB). ``--limit N`` takes the first N files of each package, for
quick runs (``--limit 300``: about 25,000 chunks). The graphs, the queries' one included, are made once
before the runs.

On two cores the full run takes 70 to 110 minutes per runtime (20 to 31 chunks a second).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ingest import make_graphs  # noqa: E402
from pharos_desktop.engine.model.embedder import bundled_model_path, cpu_graph_runtime  # noqa: E402
from pharos_desktop.tools.sample_repos import make_package_repo  # noqa: E402

DEFAULT_PACKAGES = "torch,scipy"
FLAT_FROM = 10_000  # chunks: memory after this point is compared with memory up to it
PEAK_TARGET_MB = 1200
GROWTH_TARGET = 1.15


def stored_chunks(catalog: Path) -> int | None:
    """Chunks in the catalog now; None before the ingest has made it."""
    if not catalog.exists():
        return None
    try:
        with sqlite3.connect(f"{catalog.as_uri()}?mode=ro", uri=True, timeout=0.5) as conn:
            return conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    except sqlite3.Error:
        return None


def tree_rss(process) -> int:
    """Bytes resident in ``process`` and everything it started."""
    import psutil

    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass  # ended between the listing and the reading
    return total


def sample_ingest(repo: Path, home: Path, env: dict, interval: float) -> dict:
    """Run one ingest, sampling (seconds, RSS MB, chunks stored) every ``interval``; returns the samples,
    the kernel's peak for the tree and the ingest's own summary."""
    import psutil

    args = [sys.executable, "-m", "pharos_desktop", "ingest", str(repo), "--json"]
    began = time.perf_counter()
    with open(home.with_suffix(".out"), "w+") as out, open(home.with_suffix(".err"), "w+") as err:
        child = subprocess.Popen(args, env=env, stdout=out, stderr=err, text=True)
        process = psutil.Process(child.pid)
        samples, catalog, ended = [], home / "catalog.sqlite", None
        while ended is None:
            try:
                rss = tree_rss(process)
            except psutil.NoSuchProcess:
                rss = 0
            samples.append((round(time.perf_counter() - began, 1), rss / 2**20, stored_chunks(catalog) or 0))
            if len(samples) % 60 == 0:  # a long run can be followed
                print(f"{samples[-1][0]:7.0f} s {samples[-1][2]:>9,} chunks {samples[-1][1]:7.0f} MB", file=sys.stderr)
            deadline = time.perf_counter() + interval
            while ended is None and time.perf_counter() < deadline:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)  # usage: the child and what it waited for
                ended = (status, usage) if pid else None
                time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(ended[0])
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"the ingest failed with status {child.returncode}:\n{err.read()[-2000:]}")
        summary = json.loads(out.read())
    samples = [s for s in samples if s[1] > 0]
    return {"samples": samples, "kernel_peak_mb": ended[1].ru_maxrss / 1024, "summary": summary,
            "wall_s": round(time.perf_counter() - began, 1)}


def table(samples: list[tuple[float, float, int]], final_chunks: int) -> list[dict]:
    """Rows of the report: the first chunk stored, each tenth of the final count, after the last chunk, peak."""
    rows, marks = [], [max(1, final_chunks * n // 10) for n in range(1, 11)]
    highest = 0.0
    first = next((n for n, s in enumerate(samples) if s[2] > 0), None)
    for n, (seconds, rss, chunks) in enumerate(samples):
        highest = max(highest, rss)
        label = None
        if n == first:
            label = "first chunk stored"
        while marks and chunks >= marks[0] and (chunks < final_chunks or marks[0] == final_chunks):
            label = f"{marks.pop(0):,} chunks"
        if label:
            rows.append({"at": label, "seconds": seconds, "chunks": chunks, "rss_mb": round(rss),
                         "peak_so_far_mb": round(highest)})
    tail = [s for s in samples if s[2] >= final_chunks]
    if tail:
        rows.append({"at": "after the last chunk (finish)", "seconds": tail[-1][0], "chunks": final_chunks,
                     "rss_mb": round(max(s[1] for s in tail)), "peak_so_far_mb": round(highest)})
    return rows


def growth(samples: list[tuple[float, float, int]]) -> float | None:
    """Highest RSS after FLAT_FROM chunks over the highest up to it; None when the run never got there."""
    before = [rss for _, rss, chunks in samples if chunks <= FLAT_FROM]
    after = [rss for _, rss, chunks in samples if chunks > FLAT_FROM]
    return round(max(after) / max(before), 3) if before and after else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runtime", default="auto,onnx-int8", help="comma-separated: auto, onnx-int8, openvino-int8, torch")
    parser.add_argument("--packages", default=DEFAULT_PACKAGES)
    parser.add_argument("--limit", type=int, help="files per package (default: all of them)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("--model-cache", type=Path, help="where the int8 graphs are made or found (default: a "
                        "temporary folder)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    packages, runtimes = args.packages.split(","), args.runtime.split(",")
    results = []
    with tempfile.TemporaryDirectory(prefix="pharos-bench-memory-") as tmp:
        repo = Path(tmp) / "repo"
        make_package_repo(repo, *packages, limit=args.limit)
        files = sum(1 for p in repo.rglob("*.py") if ".git" not in p.parts)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_")}
        models = args.model_cache or Path(tmp) / "models"
        env.update({"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "PHAROS_MODEL_CACHE": str(models)})
        # auto: this CPU's graph. The queries' graph too: where it is another, an ingest that does not find it starts
        # making it in a child process of its own, once per machine, which the samples would count (1.4 GB in all).
        auto = {cpu_graph_runtime(str(bundled_model_path()))} if "auto" in runtimes else set()
        make_graphs(env, Path(tmp) / "graph-home", set(runtimes) - {"auto"} | auto, queries=True)
        for runtime in runtimes:
            home = Path(tmp) / f"home-{runtime}"
            run = sample_ingest(repo, home, dict(env, PHAROS_HOME=str(home), PHAROS_RUNTIME=runtime), args.interval)
            summary, samples = run["summary"], run["samples"]
            peak = max(rss for _, rss, _ in samples)
            results.append({"runtime": runtime, "files": files, "chunks": summary["chunks"], "wall_s": run["wall_s"],
                            "engine_s": summary["seconds"], "chunks_per_s": round(summary["chunks"] / summary["seconds"], 1),
                            "peak_mb": round(peak), "kernel_peak_mb": round(run["kernel_peak_mb"]),
                            "growth": growth(samples), "rows": table(samples, summary["chunks"]), "samples": samples})
            print(f"{runtime}: {summary['chunks']} chunks in {summary['seconds']:.0f} s", file=sys.stderr)
    for result in results:
        print(f"\n{result['runtime']}: {result['files']} files of {args.packages}, {result['chunks']:,} chunks, "
              f"{result['chunks_per_s']} chunks/s")
        print(f"{'at':<32} {'seconds':>8} {'chunks stored':>14} {'RSS MB':>8} {'peak so far':>12}")
        for row in result["rows"]:
            print(f"{row['at']:<32} {row['seconds']:>8.0f} {row['chunks']:>14,} {row['rss_mb']:>8} "
                  f"{row['peak_so_far_mb']:>12}")
        print(f"peak {result['peak_mb']} MB sampled, {result['kernel_peak_mb']} MB by the kernel (ru_maxrss); "
              f"growth after {FLAT_FROM:,} chunks: {result['growth']} "
              f"(targets: peak <= {PEAK_TARGET_MB} MB, growth <= {GROWTH_TARGET})")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"packages": args.packages, "limit": args.limit, "runtimes": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
