"""The assistants' server (`pharos-desktop mcp`) on an index of 20,000+ chunks, driven by the MCP SDK's own client as
an assistant drives it (the initialize handshake, then tools/call):

    .venv/bin/python -m bench.bench_mcp [--spawns 5] [--searches 60] [--home DIR]

- spawn to the first answered search_code: process start, SDK import, handshake, query model, vectors, search
  (target 1.5 s), for several fresh servers in turn;
- warm search_code: p50 and p95 over many questions in one session, round trip as the client sees it
  (target p50 100 ms);
- the server's resident memory after those searches, and its peak (target 400 MB), and whether torch or chromadb
  were loaded (they must not be).

The index is bench/bench_search_cli.py's (built once under --home, default /tmp/pharos-bench-search/home).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import anyio
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

from bench.bench_search_cli import DEFAULT_HOME, PACKAGES, QUESTIONS, build_index, search_env  # noqa: E402

MORE_QUESTIONS = QUESTIONS + ("parse an http header value", "escape html in a template", "retry with exponential backoff",
                              "read the response body as json", "validate a model field", "format a date as text")


def server(env: dict) -> Client:
    # "legacy": the initialize handshake, as Claude Code, Cursor and VS Code connect today
    return Client(StdioServerParameters(command=sys.executable, args=["-m", "pharos_desktop", "mcp"], env=env),
                  mode="legacy")


def server_process() -> psutil.Process:
    (found,) = [p for p in psutil.Process().children(recursive=True) if "mcp" in p.cmdline()]
    return found


def peak_rss(process: psutil.Process) -> int | None:
    try:  # Linux: the high-water mark of the resident set
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


async def first_answer(env: dict, question: str) -> float:
    began = time.perf_counter()
    async with server(env) as client:
        result = await client.call_tool("search_code", {"query": question})
        wall = time.perf_counter() - began
        if result.is_error:
            raise SystemExit(result.content[0].text)
    return wall


async def warm(env: dict, searches: int) -> dict:
    async with server(env) as client:
        await client.call_tool("search_code", {"query": "warm up"})
        walls = []
        for n in range(searches):
            began = time.perf_counter()
            result = await client.call_tool("search_code", {"query": MORE_QUESTIONS[n % len(MORE_QUESTIONS)]})
            walls.append(time.perf_counter() - began)
            assert not result.is_error and result.structured_content["hits"]
        process = server_process()
        loaded = sorted({name for m in process.memory_maps() for name in ("torch", "chromadb") if name in m.path})
        return {"walls": walls, "rss": process.memory_info().rss, "peak": peak_rss(process), "loaded": loaded}


def measure(home: Path = DEFAULT_HOME, spawns: int = 5, searches: int = 60) -> dict:
    env = search_env(home)
    chunks = build_index(home, env, PACKAGES, 20_000)
    anyio.run(first_answer, env, QUESTIONS[0])  # warms the disk cache; not counted
    firsts = sorted(anyio.run(first_answer, env, QUESTIONS[n % len(QUESTIONS)]) for n in range(spawns))
    session = anyio.run(warm, env, searches)
    walls = sorted(session["walls"])
    return {"chunks": chunks, "spawns": spawns, "first_p50_s": round(statistics.median(firsts), 3),
            "first_min_s": round(firsts[0], 3), "first_max_s": round(firsts[-1], 3), "searches": len(walls),
            "warm_p50_ms": round(1000 * statistics.median(walls), 1),
            "warm_p95_ms": round(1000 * walls[min(len(walls) - 1, int(0.95 * len(walls)))], 1),
            "rss_mb": round(session["rss"] / 2**20),
            "peak_rss_mb": round(session["peak"] / 2**20) if session["peak"] else None,
            "loaded": session["loaded"], "load": round(psutil.getloadavg()[0], 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spawns", type=int, default=5)
    parser.add_argument("--searches", type=int, default=60)
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report = measure(args.home, args.spawns, args.searches)
    print(f"index: {report['chunks']} chunks in {args.home} (load average {report['load']})")
    print(f"spawn to the first answered search_code, {report['spawns']} servers: p50 {report['first_p50_s']:.2f} s, "
          f"min {report['first_min_s']:.2f} s, max {report['first_max_s']:.2f} s (target 1.5 s)")
    print(f"warm search_code, {report['searches']} calls: p50 {report['warm_p50_ms']:.0f} ms, "
          f"p95 {report['warm_p95_ms']:.0f} ms (target p50 100 ms)")
    print(f"server memory: {report['rss_mb']} MB resident, peak {report['peak_rss_mb']} MB (target 400 MB); "
          f"torch or chromadb loaded: {report['loaded'] or 'neither'}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
