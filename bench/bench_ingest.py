"""Ingestion benchmark on a real ~1,000-file repository.

    .venv/bin/python -m bench.bench_ingest [--packages networkx,rich,...] [--out bench/results/ingest.json]

Builds a git repository from installed packages' sources (nobody here wrote them), then measures,
each in its own process: a full `pharos-desktop ingest` (wall time per stage, total, peak memory);
the same model embedding exactly the same texts with the same batch size and nothing else; and an
unchanged re-ingest. Prints the table and the ratio total / pure embedding (target <= 1.25) and the
re-ingest time (target <= 3 s).
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

from tests.real_repos import make_package_repo  # noqa: E402

DEFAULT_PACKAGES = "opentelemetry,google,grpc,git,rich,aiohttp,huggingface_hub,pydantic,keyring,platformdirs"

PURE_EMBED = """
import json, sqlite3, sys, time
from pharos_desktop.engine.embedder import Embedder
from pharos_desktop.engine.settings import Settings
texts = [row[0] for row in sqlite3.connect(sys.argv[1]).execute("SELECT embedded_text FROM chunks")]
embedder = Embedder.load(Settings.load())
embedder.embed_documents(texts[:8])  # warm-up, as the pipeline's first batch also pays it
began = time.perf_counter()
embedder.embed_documents(texts)
print(json.dumps({"texts": len(texts), "seconds": time.perf_counter() - began}))
"""


def run_measured(args: list[str], env: dict) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MB, stdout) of one child process."""
    began = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed with status {status}")
    return wall, usage.ru_maxrss // 1024, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", default=DEFAULT_PACKAGES)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pharos-bench-") as tmp:
        repo = Path(tmp) / "repo"
        make_package_repo(repo, *args.packages.split(","))
        files = sum(1 for p in repo.rglob("*.py") if ".git" not in p.parts)
        home = Path(tmp) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_")}
        env.update({"PHAROS_HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})
        cli = [sys.executable, "-m", "pharos_desktop"]

        wall, peak_mb, out = run_measured([*cli, "ingest", repo.as_uri(), "--json"], env)
        first = json.loads(out)
        pure_wall, _, pure_out = run_measured([sys.executable, "-c", PURE_EMBED, str(home / "catalog.sqlite")], env)
        pure = json.loads(pure_out)
        again_wall, _, again_out = run_measured([*cli, "ingest", repo.as_uri(), "--json"], env)
        again = json.loads(again_out)

    report = {
        "source_files": files, "files": first["files"], "chunks": first["chunks"], "skipped": first["skipped"],
        "stage_seconds": first["stage_seconds"], "ingest_seconds_engine": first["seconds"],
        "ingest_seconds_process": round(wall, 2), "peak_rss_mb": peak_mb,
        "pure_embed_seconds": round(pure["seconds"], 2), "pure_embed_texts": pure["texts"],
        "ratio_engine": round(first["seconds"] / pure["seconds"], 3),
        "ratio_process": round(wall / pure["seconds"], 3),
        "reingest_seconds_engine": again["seconds"], "reingest_seconds_process": round(again_wall, 2),
        "reingest_embedded": again["embedded"],
    }
    print(f"repository: {files} source files from {args.packages}")
    print(f"indexed files {report['files']}, chunks {report['chunks']}, skipped {report['skipped']}")
    for stage, seconds in report["stage_seconds"].items():
        print(f"  stage {stage:<6} {seconds:8.2f} s")
    print(f"ingest total (engine)         {report['ingest_seconds_engine']:8.2f} s")
    print(f"ingest total (whole process)  {report['ingest_seconds_process']:8.2f} s   peak RSS {peak_mb} MB")
    print(f"pure embedding, same texts    {report['pure_embed_seconds']:8.2f} s")
    print(f"ratio engine / pure           {report['ratio_engine']:8.3f}   (target <= 1.25)")
    print(f"ratio process / pure          {report['ratio_process']:8.3f}")
    print(f"unchanged re-ingest (engine)  {report['reingest_seconds_engine']:8.2f} s   (process {again_wall:.2f} s,"
          f" target <= 3 s, embedded {again['embedded']})")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
