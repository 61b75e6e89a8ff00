"""Peak memory of ingesting a repository with a 937 KB one-line JavaScript bundle, against the same
repository without it.

    .venv/bin/python -m bench.bench_long_lines [--kb 937] [--out bench/results/long_lines.json]

Builds the tests' sample repository twice (the second with ``static/app.bundle.js``: one line of
bundler output, not named ``*.min.js``), then runs a real ``pharos-desktop ingest`` of each in its
own child process with its own data folder, and reads the child's peak RSS from the kernel
(``wait4``). Target: the repository with the bundle within 10% of the one without.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pharos_desktop.tools.sample_repos import add_commit  # noqa: E402
from tests.repo_factory import bundle, make_sample_repo  # noqa: E402

TARGET_RATIO = 1.10


def ingest_peak(source: Path, home: Path) -> dict:
    """Ingest ``source`` in a child process -> its result, wall seconds and peak RSS in MB."""
    env = {**os.environ, "PHAROS_HOME": str(home), "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "pharos_desktop", "ingest", str(source), "--json"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ingest of {source} failed with status {status}")
    result = json.loads(out)
    return {"peak_rss_mb": usage.ru_maxrss // 1024, "seconds": round(time.perf_counter() - began, 1),
            "files": result["files"], "chunks": result["chunks"], "skipped_reasons": result["skipped_reasons"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kb", type=int, default=937, help="size of the one-line bundle in KB")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pharos-bench-long-") as scratch:
        work = Path(scratch)
        plain = make_sample_repo(work / "plain")
        heavy = make_sample_repo(work / "heavy")
        add_commit(heavy, {"static/app.bundle.js": bundle(args.kb * 1000)}, "add a one-line bundle")
        runs = {"without bundle": ingest_peak(plain, work / "home-plain"),
                f"with {args.kb} KB one-line bundle": ingest_peak(heavy, work / "home-heavy")}
    (base, heavy_run) = runs.values()
    ratio = heavy_run["peak_rss_mb"] / base["peak_rss_mb"]
    for name, run in runs.items():
        print(f"{name:>34}: peak RSS {run['peak_rss_mb']:5d} MB  {run['seconds']:5.1f} s  "
              f"{run['files']} files, {run['chunks']} chunks, skipped {run['skipped_reasons']}")
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"ratio {ratio:.3f} ({verdict} the {TARGET_RATIO:.2f} target)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"runs": runs, "ratio": round(ratio, 3)}, indent=2))
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
