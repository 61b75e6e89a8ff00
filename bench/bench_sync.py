"""Sync throughput against the real Pharos cloud (shared/pharos-cloud, as deployed), or the fake one.

Run from the repository root:

    .venv/bin/python -m bench.bench_sync [--files 1000] [--concurrency 8]             # the real service
    .venv/bin/python -m bench.bench_sync --fake [--latency 0.05] [--concurrency 8]    # the fake, with latency

It fills a throwaway catalog with ~1,000 real ``.py`` files from installed packages (parsed by the real
parser, so chunk counts are realistic), then times a first full sync and a no-change re-sync, printing
requests/s, chunks/s and both wall times. On the real service the requests are counted from its own
access log, and its fetch queue fills after 10 creates (as deployed), so the first sync takes the
"row made, queue full" path for every file after the 10th. Nothing touches the user's data folder.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

PACKAGES = ("pygments", "pydantic", "httpx", "httpcore", "anyio", "h11", "idna", "keyring", "jaraco",
            "platformdirs", "certifi", "urllib3", "requests", "typer", "rich", "yaml", "attr", "markupsafe",
            "chromadb", "huggingface_hub", "setuptools")


def fill_catalog(catalog, limit: int) -> tuple[int, int]:
    from pharos_desktop.engine.index.catalog import ChunkRecord, FileRecord, RepoRecord
    from pharos_desktop.engine.parse import parse_file

    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    repo = RepoRecord("b" * 16, "site-packages", "https://github.com/bench/site-packages", "remote",
                      web_base="https://github.com/bench/site-packages", branch="main", commit="c" * 40,
                      state="ready")
    catalog.upsert_repo(repo)
    files = chunks = 0
    paths = [p for name in PACKAGES if (site / name).is_dir() for p in sorted((site / name).rglob("*.py"))]
    for path in paths[:limit]:
        rel = path.relative_to(site).as_posix()
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        digest = hashlib.sha1(data).hexdigest()
        parsed = parse_file(rel, text, "python")
        records = [ChunkRecord(hashlib.sha1(f"{rel}{digest}{n}".encode()).hexdigest()[:32], repo.repo_id, rel, n,
                               c.kind, c.symbol, c.language, c.start_line, c.end_line, c.signature, c.summary,
                               list(c.deps), c.code, c.summary) for n, c in enumerate(parsed)]
        catalog.replace_file(repo.repo_id, FileRecord(rel, "python", len(data), 0, digest, None, len(records)), records)
        files, chunks = files + 1, chunks + len(records)
    return files, chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--fake", action="store_true", help="the project's fake cloud instead of the real one")
    parser.add_argument("--latency", type=float, default=0.05, help="per request, with --fake")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    os.environ["PHAROS_HOME"] = tempfile.mkdtemp(prefix="pharos-bench-sync-")
    from pharos_desktop.engine.run.task import Task
    from pharos_desktop.engine.settings import Settings
    from pharos_desktop.engine.sync import Syncer
    from pharos_desktop.engine.workspace import Workspace
    from pharos_desktop.tools.fake_cloud import CloudServer

    workspace = Workspace(settings=Settings(sync_concurrency=args.concurrency))
    started = time.perf_counter()
    files, chunks = fill_catalog(workspace.catalog, args.files)
    print(f"catalog: {files} files, {chunks} chunks (built in {time.perf_counter() - started:.1f} s)")
    if args.fake:
        server = CloudServer(token="bench").start()
        server.latency = args.latency
        url, token, stop, count = server.url, "bench", server.stop, server.total_requests
        where = f"fake cloud, latency {args.latency * 1000:.0f} ms"
    else:
        from tests.real_cloud import RealCloud

        cloud = RealCloud.start(Path(tempfile.mkdtemp(prefix="pharos-bench-cloud-")))
        log = cloud.data_dir / "server.log"
        url, token, stop = cloud.api_url, cloud.token, cloud.stop
        count = lambda: log.read_text(errors="replace").count('HTTP/1.1" ')  # noqa: E731 - uvicorn's access log
        where = "real cloud"
    syncer = Syncer(workspace, api_url=url, token=token)
    try:
        for label in ("first sync", "no-change re-sync"):
            before = count()
            started = time.perf_counter()
            summary = asyncio.run(syncer.sync(task=Task("sync")))
            seconds = time.perf_counter() - started
            time.sleep(0.5)  # the access log is written after each answer
            requests = count() - before
            print(f"{label}: {seconds:.2f} s, {requests} requests ({requests / seconds:.1f}/s), "
                  f"{summary.chunks} chunks ({summary.chunks / seconds:.1f}/s), created {summary.created}, "
                  f"unchanged {summary.unchanged}, failed {summary.failed}  "
                  f"[{where}, concurrency {args.concurrency}]")
    finally:
        stop()

if __name__ == "__main__":
    main()
