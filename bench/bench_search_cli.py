"""Command-line search latency: `pharos-desktop search` as whole processes, on an index of 20,000+ chunks.

    .venv/bin/python -m bench.bench_search_cli [--runs 15] [--home DIR]
    .venv/bin/python -m bench.bench_search_cli --home DIR --checkouts /work/main,. [--model-cache DIR]
    .venv/bin/python -m bench.bench_search_cli --home DIR --resident [--model-cache DIR]

Builds (once; the data folder is kept under --home, default /tmp/pharos-bench-search) an index of
installed packages' sources with the default runtime, then times whole `pharos-desktop search`
processes (start, imports, query model, vectors, keyword search, printing), several questions in
turn, and prints the median and the 95th percentile (target: median <= 1.0 s), with what the
process imported that it should not need (torch, chromadb).

--resident times the resident search process (engine/query/resident.py): cold, a fresh process that searches
itself (`--no-resident`), against warm, a fresh process that the resident answers, interleaved (one of each in
turn, the same question), with the resident's memory and its CPU per search beside the commands'.

--checkouts times the code of several checkouts of this repository on the same data folder, interleaved
(one search by each in turn, the same question), so that a busy machine weighs on each alike; the load
average is printed beside each one's figures. --model-cache points every search at a models folder other
than the data folder's own (a data folder that must not change, with a graph added in a copy).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pharos_desktop.tools.sample_repos import make_package_repo  # noqa: E402

PACKAGES = ("pygments,rich,aiohttp,anyio,httpx,git,typer,h11,keyring,tenacity,platformdirs,markdown_it,httpcore,pydantic,"
            "dateutil,yarl,multidict,attr")
QUESTIONS = ("where is the retry delay computed", "how are cookies stored between requests",
             "lexer for python source", "render a progress bar in the terminal", "read the git config file",
             "parse a markdown heading", "open a TCP connection with a timeout")
REPORT_IMPORTS = """
import sys, runpy
sys.argv = ["pharos-desktop", *sys.argv[1:]]
try:
    runpy.run_module("pharos_desktop", run_name="__main__")
except SystemExit:
    pass
print("IMPORTED", sorted(name for name in ("torch", "transformers", "chromadb") if name in sys.modules),
      file=sys.stderr)
"""


def search_env(home: Path) -> dict:
    """What a search process gets: this environment without its Pharos settings, the data folder at home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_") or k == "PHAROS_MODEL_CACHE"}
    # (no resident search process: each search is a whole process, unless --resident says otherwise)
    env.update({"PHAROS_HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "PHAROS_NO_RESIDENT": "1"})
    home.mkdir(parents=True, exist_ok=True)
    return env


def build_index(home: Path, env: dict, packages: str, min_chunks: int) -> int:
    import sqlite3

    catalog = home / "catalog.sqlite"
    if catalog.exists():
        with sqlite3.connect(catalog) as conn:
            chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        if chunks >= min_chunks:
            return chunks
    repo = home.parent / (home.name + "-repo")
    if not (repo / ".git").is_dir():
        make_package_repo(repo, *packages.split(","))
    print(f"ingesting {repo} (once) ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "pharos_desktop", "ingest", str(repo)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    with sqlite3.connect(catalog) as conn:
        chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    if chunks < min_chunks:
        raise SystemExit(f"{repo} makes only {chunks} chunks (fewer than {min_chunks}): delete it and {home}, "
                         "and pass more --packages")
    return chunks


DEFAULT_HOME = Path("/tmp/pharos-bench-search/home")


def measure(home: Path = DEFAULT_HOME, runs: int = 15, packages: str = PACKAGES, min_chunks: int = 20_000) -> dict:
    """{"chunks", "runs", "p50_s", "p95_s", "min_s", "imported"}: whole search processes timed in turn."""
    env = search_env(home)
    chunks = build_index(home, env, packages, min_chunks)
    walls, peaks, cpus = [], [], []
    for run in range(runs + 1):
        wall, peak, cpu = run_measured([sys.executable, "-m", "pharos_desktop", "search", QUESTIONS[run % len(QUESTIONS)],
                                   "--limit", "10"], env)
        if run:  # the first run only warms the disk cache
            walls.append(wall)
            peaks.append(peak)
            cpus.append(cpu)
    imported = subprocess.run([sys.executable, "-c", REPORT_IMPORTS, "search", QUESTIONS[0]], env=env,
                              capture_output=True, text=True).stderr.strip().splitlines()[-1]
    walls.sort()
    return {"chunks": chunks, "runs": len(walls), "p50_s": round(statistics.median(walls), 3),
            "p95_s": round(walls[min(len(walls) - 1, int(0.95 * len(walls)))], 3), "min_s": round(walls[0], 3),
            "cpu_p50_s": round(statistics.median(cpus), 3), "peak_rss_mb": round(max(peaks)), "imported": imported}


def compare(home: Path, checkouts: list[Path], runs: int, model_cache: Path | None = None) -> dict:
    """{checkout: {"p50_s", "p95_s", "cpu_p50_s", "peak_rss_mb", "load"}}: whole search processes of each
    checkout's code, one of each in turn per question, after one unmeasured round that warms the disk cache."""
    env = search_env(home)
    if model_cache:
        env["PHAROS_MODEL_CACHE"] = str(model_cache)
    figures: dict[str, dict[str, list]] = {str(c): {"walls": [], "cpus": [], "peaks": [], "loads": []} for c in checkouts}
    for run in range(runs + 1):
        for checkout in checkouts:
            load = os.getloadavg()[0]
            wall, peak, cpu = run_measured([sys.executable, "-m", "pharos_desktop", "search",
                                         QUESTIONS[run % len(QUESTIONS)], "--limit", "10"],
                                        {**env, "PYTHONPATH": str(checkout.resolve())}, cwd=home)
            if run:
                for name, value in (("walls", wall), ("cpus", cpu), ("peaks", peak), ("loads", load)):
                    figures[str(checkout)][name].append(value)
    return {checkout: _figures(f) for checkout, f in figures.items()}


def _resident_process(home: Path):
    import psutil

    for process in psutil.process_iter(["cmdline"]):
        try:
            if "search-resident" in (process.info["cmdline"] or []) and process.cwd() == str(home):
                return process
        except psutil.Error:
            pass
    return None


def _peak_mb(process) -> float:
    """A process's peak resident memory so far (Linux: VmHWM), in MB."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return process.memory_info().rss / 2**20


def compare_resident(home: Path, runs: int, model_cache: Path | None = None) -> dict:
    """{"cold": figures, "warm": figures, "resident": {...}}: fresh processes that search themselves (cold) and
    fresh processes that the resident answers (warm), one of each in turn per question, after one unmeasured
    round; figures as in compare(). The resident's own CPU per search and memory are its process's."""
    from pharos_desktop.engine.query.resident import ask, printable, request

    env = search_env(home)
    env["PHAROS_NO_RESIDENT"] = ""
    if model_cache:
        env["PHAROS_MODEL_CACHE"] = str(model_cache)
    if _resident_process(home):
        raise SystemExit(f"a resident search process already serves {home}: end it first")
    command = [sys.executable, "-m", "pharos_desktop", "search"]
    run_measured([*command, QUESTIONS[0], "--limit", "10"], env, cwd=home)  # searches itself, starts the resident
    os.environ["PHAROS_HOME"] = str(home)
    deadline = time.monotonic() + 900
    while not ((reply := ask(home, request(QUESTIONS[0]))) and printable(reply)):
        if time.monotonic() > deadline:
            raise SystemExit("the resident search process did not start (see the data folder's logs/pharos.log)")
        time.sleep(0.5)
    server = _resident_process(home)
    ready_mb = server.memory_info().rss / 2**20
    figures: dict[str, dict[str, list]] = {mode: {"walls": [], "cpus": [], "peaks": [], "loads": []}
                                           for mode in ("cold", "warm")}
    server_cpu = 0.0
    try:
        for run in range(runs + 1):
            for mode in ("cold", "warm"):
                load = os.getloadavg()[0]
                before = sum(server.cpu_times()[:2])
                wall, peak, cpu = run_measured([*command, QUESTIONS[run % len(QUESTIONS)], "--limit", "10",
                                                *(["--no-resident"] if mode == "cold" else [])], env, cwd=home)
                if run:
                    if mode == "warm":
                        server_cpu += sum(server.cpu_times()[:2]) - before
                    for name, value in (("walls", wall), ("cpus", cpu), ("peaks", peak), ("loads", load)):
                        figures[mode][name].append(value)
        report = {mode: _figures(f) for mode, f in figures.items()}
        report["resident"] = {"rss_ready_mb": round(ready_mb), "rss_mb": round(server.memory_info().rss / 2**20),
                              "peak_rss_mb": round(_peak_mb(server)), "cpu_per_search_s": round(server_cpu / runs, 3)}
    finally:
        server.kill()
    return report


def _figures(f: dict[str, list]) -> dict:
    walls = sorted(f["walls"])
    return {"p50_s": round(statistics.median(walls), 3),
            "p95_s": round(walls[min(len(walls) - 1, int(0.95 * len(walls)))], 3),
            "cpu_p50_s": round(statistics.median(f["cpus"]), 3), "peak_rss_mb": round(max(f["peaks"])),
            "load": round(statistics.mean(f["loads"]), 1)}


def run_measured(command: list[str], env: dict, cwd: Path | None = None) -> tuple[float, float, float]:
    """Run a command to its end: (wall seconds, its peak resident memory in MB, the CPU seconds it used, which
    a busy machine inflates far less than its wall time). Its output goes to a file,
    not a pipe, so that the process can be waited for directly (os.wait4 tells that process's peak). Linux counts
    the caller's own peak at the fork in it: call this from a small process."""
    import tempfile

    with tempfile.TemporaryFile() as out:
        began = time.perf_counter()
        # (``python -m`` puts the working folder first on the path: --checkouts runs each from the data folder)
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            out.seek(0)
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n"
                             f"{out.read().decode(errors='replace')[-4000:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime  # ru_maxrss: kilobytes on Linux


def print_report(report: dict, home: Path) -> None:
    print(f"index: {report['chunks']} chunks in {home}")
    print(f"pharos-desktop search, whole process, {report['runs']} runs: p50 {report['p50_s']:.2f} s, "
          f"p95 {report['p95_s']:.2f} s, min {report['min_s']:.2f} s (target p50 <= 1.0 s), "
          f"peak memory {report['peak_rss_mb']} MB")
    print(f"heavy modules imported by a search: {report['imported']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME)
    parser.add_argument("--packages", default=PACKAGES)
    parser.add_argument("--min-chunks", type=int, default=20_000)
    parser.add_argument("--checkouts", help="checkouts of this repository to compare, comma-separated")
    parser.add_argument("--model-cache", type=Path, help="the models folder every search uses (--checkouts, --resident)")
    parser.add_argument("--resident", action="store_true",
                        help="searches answered by the resident search process against whole processes")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.resident:
        report = compare_resident(args.home, args.runs, args.model_cache)
        for mode in ("cold", "warm"):
            figures = report[mode]
            print(f"{mode}: p50 {figures['p50_s']:.2f} s, p95 {figures['p95_s']:.2f} s wall, CPU p50 "
                  f"{figures['cpu_p50_s']:.2f} s, peak memory {figures['peak_rss_mb']} MB, load average {figures['load']}")
        server = report["resident"]
        print(f"resident: {server['rss_ready_mb']} MB when ready, {server['rss_mb']} MB after the runs (peak "
              f"{server['peak_rss_mb']} MB), CPU {server['cpu_per_search_s']:.3f} s per search")
    elif args.checkouts:
        report = compare(args.home, [Path(c) for c in args.checkouts.split(",")], args.runs, args.model_cache)
        for checkout, figures in report.items():
            print(f"{checkout}: p50 {figures['p50_s']:.2f} s, p95 {figures['p95_s']:.2f} s wall, CPU p50 "
                  f"{figures['cpu_p50_s']:.2f} s, peak memory {figures['peak_rss_mb']} MB, load average {figures['load']}")
    else:
        report = measure(args.home, args.runs, args.packages, args.min_chunks)
        print_report(report, args.home)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
