"""Scale: search, memory, disk and ingest on data folders of 100,000 and 1,000,000 chunks (issue 26).

    nice -n 10 .venv/bin/python -m bench.bench_scale [--sizes 100000,1000000] [--rebuild] [--out FILE]

Each size's data folder is made once (bench/scale_folders.py: real ingests, replicated with perturbed
vectors up to the size) and kept under /tmp/pharos-scale/<size>/; --rebuild makes it again. Then, per size:

- CLI search: whole `pharos-desktop search` processes, as bench_search_cli.py times them (p50, p95), and
  the peak resident memory of one;
- the window: the real main window, offscreen, as bench_search_window.py drives it (p50 of the searches
  after the first), and the peak resident memory of that process with the index loaded;
- disk per chunk, after those searches: the catalog and its keyword index (SQLite's own page counts),
  Chroma, the search copy (search-cache) and whatever else the folder holds, by name, so that a store
  made on first use is counted;
- on a copy of the folder (the cached one stays as made): one file of a real repository changed,
  committed and re-ingested through the command line (wall clock, each of --edits times), and a fresh
  real repository ingested (chunks per second, wall clock, as the index grows).

Writes the figures as JSON (bench/results/ unless --out) and prints a Markdown table with the targets
at 1,000,000 chunks beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import scale_folders  # noqa: E402
from bench.bench_search_cli import measure as measure_cli  # noqa: E402
from bench.bench_search_cli import run_measured  # noqa: E402

FRESH = "urllib3-2.8.0"  # the real repository ingested anew at each size (about 1,000 chunks)
EDITED_FILE = "httpx/_utils.py"  # in scale_folders.EDITED: the one file each re-ingest changes
TARGETS = {"cli_p50_s": 0.5, "window_p50_ms": 100, "cli_rss_mb": 500, "window_rss_mb": 1500, "reingest_s": 2.0}
MB = 1024 * 1024
KNOWN_PARTS = ("catalog", "keyword index", "chroma", "search-cache", "model graphs")


def disk_use(home: Path, chunks: int) -> dict:
    """Bytes in the data folder by part, and per chunk. The model graphs are the same at every size: apart."""
    sizes: dict[str, int] = {}
    with os.scandir(home) as entries:
        for entry in entries:
            if entry.name.startswith("catalog.sqlite"):
                part = "catalog"
            else:
                part = {"vectors": "chroma", "search-cache": "search-cache", "models": "model graphs"}.get(
                    entry.name, entry.name)
            sizes[part] = sizes.get(part, 0) + tree_bytes(Path(entry.path))
    with sqlite3.connect(f"file:{home / 'catalog.sqlite'}?mode=ro", uri=True) as conn:
        keyword = conn.execute("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE aggregate = TRUE "
                               "AND name LIKE 'chunks_kw%'").fetchone()[0]
    sizes["keyword index"] = keyword
    sizes["catalog"] -= keyword
    for part in [p for p, size in sizes.items() if p not in KNOWN_PARTS and size < MB]:  # locks, logs, settings
        sizes["other"] = sizes.get("other", 0) + sizes.pop(part)
    per_chunk = {part: round(size / chunks) for part, size in sizes.items() if part != "model graphs"}
    return {"bytes": sizes, "per_chunk": per_chunk, "per_chunk_total": sum(per_chunk.values()),
            "total_mb": round(sum(size for part, size in sizes.items() if part != "model graphs") / MB)}


def tree_bytes(path: Path) -> int:
    """Bytes on disk (allocated blocks: sparse files count what they hold)."""
    if path.is_file() or path.is_symlink():
        return path.lstat().st_blocks * 512
    return sum(tree_bytes(child) for child in path.iterdir())


def measure_window(home: Path, runs: int) -> dict:
    """bench_search_window.py in its own process (it ends with os._exit): its figures and its peak memory."""
    with tempfile.TemporaryDirectory(prefix="pharos-scale-window-") as scratch:
        out = Path(scratch) / "window.json"
        env = {**scale_folders.cli_env(home), "QT_QPA_PLATFORM": "offscreen"}
        _, peak, _ = run_measured([sys.executable, "-m", "bench.bench_search_window", "--home", str(home), "--runs",
                                str(runs), "--min-chunks", "1", "--out", str(out)], env)
        report = json.loads(out.read_text())
    report["peak_rss_mb"] = round(peak)
    return report


def count_chunks(home: Path) -> int:
    with sqlite3.connect(f"file:{home / 'catalog.sqlite'}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]


def git(source: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@pharos", *args], cwd=source,
                          check=True, capture_output=True, text=True).stdout.strip()


def measure_ingest(size: int, root: Path, edits: int, result: dict, save, log) -> None:
    """On a copy of the folder: the edited repository re-ingested after one file changes, and a fresh one.
    Fills ``result``, saved after each part."""
    work = root / "work" / str(size)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    home = work / "home"
    subprocess.run(["cp", "-a", str(scale_folders.home_of(size, root)), str(home)], check=True)
    env = scale_folders.cli_env(home)
    source = scale_folders.edited_source(size, root)
    ingest = [sys.executable, "-m", "pharos_desktop", "ingest"]
    original = git(source, "rev-parse", "HEAD")
    try:
        # The copy is another vector store to the catalog (its files are new): the first run looks the
        # repository over once (reconcile). Timed apart, so that the edits below time an edit only.
        unchanged_s, _, _ = run_measured([*ingest, str(source)], env)
        walls, peaks, cpus = [], [], []
        for n in range(edits):
            edited = source / EDITED_FILE
            edited.write_text(edited.read_text() + f"\n\ndef scale_bench_edit_{n}(value):\n    return value * {n + 2}\n")
            git(source, "commit", "-qam", f"scale bench edit {n}")
            log(f"  re-ingesting after one file changed ({n + 1}/{edits}) ...")
            wall, peak, cpu = run_measured([*ingest, str(source)], env)
            walls.append(wall)
            peaks.append(peak)
            cpus.append(cpu)
    finally:
        git(source, "reset", "-q", "--hard", original)
    result.update({"unchanged_reingest_s": round(unchanged_s, 2), "reingest_s": [round(w, 2) for w in walls],
                   "reingest_p50_s": round(sorted(walls)[len(walls) // 2], 2),
                   "reingest_cpu_p50_s": round(sorted(cpus)[len(cpus) // 2], 2),
                   "reingest_peak_rss_mb": round(max(peaks))})
    save()
    fresh = scale_folders.copy_source(scale_folders.SOURCES / FRESH, work / "src" / FRESH)
    before = count_chunks(home)
    log(f"  ingesting a fresh repository ({FRESH}) ...")
    fresh_s, fresh_peak, fresh_cpu = run_measured([*ingest, str(fresh)], env)
    added = count_chunks(home) - before
    shutil.rmtree(work)
    result.update({"fresh_repo": FRESH, "fresh_chunks": added, "fresh_s": round(fresh_s, 1),
                   "fresh_cpu_s": round(fresh_cpu, 1), "fresh_chunks_per_s": round(added / fresh_s, 1),
                   "fresh_peak_rss_mb": round(fresh_peak)})


def measure_size(size: int, args, result: dict, save, log) -> None:
    """Fill ``result`` with the figures of one size, saving after each part (a long run cut short keeps them)."""
    made = None if args.rebuild else scale_folders.built(size, args.root)
    if made is None:
        log(f"building the folder of {size:,} chunks under {args.root / str(size)} ...")
        # In a process of its own: a child's peak memory counts its parent's at the fork (Linux carries it over
        # exec), so the process that measures must stay small, and a build holds every seed chunk in memory.
        subprocess.run([sys.executable, "-m", "bench.scale_folders", str(size), str(args.root)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        made = scale_folders.built(size, args.root)
    home = scale_folders.home_of(size, args.root)
    chunks = count_chunks(home)
    result.update({"chunks": chunks, "built": made, "load_average_start": round(os.getloadavg()[0], 1)})
    log(f"{chunks:,} chunks: command-line searches ...")
    result["cli"] = measure_cli(home, args.cli_runs, min_chunks=1)
    save()
    log("  the window ...")
    result["window"] = measure_window(home, args.window_runs)
    # After the searches: a store that builds itself on first use is counted too.
    result["disk"] = disk_use(home, chunks)
    save()
    if args.edits:
        measure_ingest(size, args.root, args.edits, result.setdefault("ingest", {}), save, log)
    result["load_average"] = round(os.getloadavg()[0], 1)
    save()


def table(results: dict) -> str:
    sizes = list(results["sizes"])
    head = "| | " + " | ".join(f"{int(s):,} chunks" for s in sizes) + " | target at 1,000,000 |"
    rows = [head, "|" + "---|" * (len(sizes) + 2)]

    def row(label: str, cell, target: str = "") -> None:
        cells = []
        for size in sizes:
            try:
                cells.append(cell(results["sizes"][size]))
            except KeyError:  # a run cut short
                cells.append("not measured")
        rows.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")

    row("CLI search p50 / p95, wall (CPU p50)", lambda r: f"{r['cli']['p50_s']:.2f} s / {r['cli']['p95_s']:.2f} s "
        f"({r['cli']['cpu_p50_s']:.2f} s)", f"p50 ≤ {TARGETS['cli_p50_s']} s")
    row("window search p50 after the first, wall (CPU p50; first search)",
        lambda r: f"{r['window']['p50_ms']:.0f} ms ({r['window']['cpu_p50_ms']:.0f} ms; "
        f"{r['window']['first_ms'] / 1000:.1f} s)", f"≤ {TARGETS['window_p50_ms']} ms")
    row("CLI search peak memory", lambda r: f"{r['cli']['peak_rss_mb']} MB", f"≤ {TARGETS['cli_rss_mb']} MB")
    row("window peak memory, index loaded", lambda r: f"{r['window']['peak_rss_mb']} MB",
        f"≤ {TARGETS['window_rss_mb'] / 1000:.1f} GB")
    parts = sorted({p for r in results["sizes"].values() for p in r.get("disk", {}).get("per_chunk", {})},
                   key=lambda p: (KNOWN_PARTS.index(p) if p in KNOWN_PARTS else len(KNOWN_PARTS), p == "other", p))
    for part in parts:
        row(f"disk per chunk: {part}", lambda r, p=part: f"{r['disk']['per_chunk'].get(p, 0):,} B")
    row("disk per chunk: all (folder)", lambda r: f"{r['disk']['per_chunk_total']:,} B ({r['disk']['total_mb']:,} MB)")
    row("one-file re-ingest, wall p50 (CPU p50; runs)", lambda r: f"{r['ingest']['reingest_p50_s']:.1f} s "
        f"({r['ingest']['reingest_cpu_p50_s']:.1f} s; {len(r['ingest']['reingest_s'])})", f"≤ {TARGETS['reingest_s']} s")
    row("one-file re-ingest peak memory", lambda r: f"{r['ingest']['reingest_peak_rss_mb']} MB")
    row(f"ingest of a fresh repository ({FRESH}), wall", lambda r: f"{r['ingest']['fresh_chunks_per_s']} chunks/s "
        f"({r['ingest']['fresh_chunks']:,} in {r['ingest']['fresh_s']:.0f} s, CPU {r['ingest']['fresh_cpu_s']:.0f} s)")
    row("folder build: replicas, then the real ingest of httpx (753 chunks) into it",
        lambda r: f"{r['built']['replicate_s'] / 60:.0f} min + "
        f"{(r['built']['build_s'] - r['built']['replicate_s']) / 60:.1f} min")
    row("load average (1 min) at the start and the end", lambda r: f"{r.get('load_average_start', '?')} / "
        f"{r['load_average']}")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="chunks per data folder, comma-separated")
    parser.add_argument("--root", type=Path, default=scale_folders.SCALE_ROOT, help="where the folders are kept")
    parser.add_argument("--rebuild", action="store_true", help="make the data folders again")
    parser.add_argument("--cli-runs", type=int, default=15)
    parser.add_argument("--window-runs", type=int, default=20)
    parser.add_argument("--edits", type=int, default=3,
                        help="one-file re-ingests per size (0: no ingest figures, neither these nor the fresh one)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit, "cores": os.cpu_count(),
               "load_average_at_start": round(os.getloadavg()[0], 1), "sizes": {}}
    out = args.out or ROOT / "bench" / "results" / f"scale-{time.strftime('%Y%m%d-%H%M')}-{commit}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    def save() -> None:
        out.write_text(json.dumps(results, indent=2) + "\n")

    for size in (int(s) for s in args.sizes.split(",")):
        measure_size(size, args, results["sizes"].setdefault(str(size), {}), save, log)
    print(table(results))
    print(f"\n{results['date']}, commit {commit}, {results['cores']} cores; figures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
