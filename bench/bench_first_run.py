"""A new user's first ingest: how long from pasting a URL to the first chunk stored, on a fresh data folder and
an empty model cache (no int8 graph made yet), and how close the first run's stand-in vectors are to the graph's.

    nice -n 10 .venv/bin/python -m bench.bench_first_run [--code PATH] [--packages requests] [--rounds 1]
                                                         [--compare-vectors 300]

1. First chunk: a real codebase (the installed ``--packages``' sources) is committed into a bare repository and
   ingested through its file:// URL with `python -m pharos_desktop ingest`, as a user's first command, with a
   fresh PHAROS_HOME and PHAROS_MODEL_CACHE. The catalog is polled every 50 ms: the time to its first chunk,
   to the ingest's end, and (when the graph is made in the background) until the graph is ready. ``--code``
   runs another checkout's code (the code before the change) on the same repository.
2. Stand-in vectors: ``--compare-vectors`` chunks of that codebase embedded by torch fp32 and by the OpenVINO
   int8 graph: each pair's cosine, and how often a query's top 10 is the same when the documents come from
   either runtime (queries from the graph, as search makes them).
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


def chunks_stored(home: Path) -> int:
    try:
        with sqlite3.connect(f"file:{home / 'catalog.sqlite'}?mode=ro", uri=True, timeout=0.05) as conn:
            return conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    except sqlite3.Error:
        return 0


def graph_ready(cache: Path) -> bool:
    return any(cache.glob("*/model-int8.xml")) or any(cache.glob("*/model-int8.onnx"))


def first_run(code: Path, url: str, work: Path, wait_for_graph: bool) -> dict:
    home, cache = work / "home", work / "models"
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PHAROS_")}
    env.update(PHAROS_HOME=str(home), PHAROS_MODEL_CACHE=str(cache), PYTHONPATH=str(code), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "pharos_desktop", "ingest", url, "--json"], env=env, cwd=code,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = None
    while process.poll() is None:
        if first is None and chunks_stored(home):
            first = time.perf_counter() - started
        time.sleep(0.05)
    done = time.perf_counter() - started
    out = process.stdout.read()
    if process.returncode != 0:
        raise SystemExit(f"the ingest failed ({process.returncode}): {out[-500:]}")
    summary = json.loads(out)
    made = None
    if wait_for_graph:
        deadline = time.perf_counter() + 600
        while not graph_ready(cache) and time.perf_counter() < deadline:
            time.sleep(0.2)
        made = time.perf_counter() - started if graph_ready(cache) else None
    runtimes = sqlite3.connect(home / "catalog.sqlite").execute("SELECT runtime FROM repos").fetchall()
    return {"first_chunk_s": round(first or done, 1), "ingest_s": round(done, 1), "chunks": summary["chunks"],
            "graph_ready_s": round(made, 1) if made else None, "runtime": runtimes[0][0] if runtimes else ""}


def compare_vectors(source: Path, count: int, work: Path) -> dict:
    import numpy as np

    os.environ["PHAROS_MODEL_CACHE"] = str(work / "models")  # the graph the first run made
    from pharos_desktop.engine.model.embedder import Embedder
    from pharos_desktop.engine.parse import parse_file
    from pharos_desktop.engine.settings import Settings

    texts = []
    for path in sorted(source.rglob("*.py")):
        texts += [chunk.code for chunk in parse_file(str(path.relative_to(source)), path.read_text(), "python")]
        if len(texts) >= count:
            break
    texts = texts[:count]
    torch_vectors = Embedder.load(Settings(runtime="torch")).embed_documents(texts)
    graph = Embedder.load(Settings(runtime="openvino-int8"))
    graph_vectors = graph.embed_documents(texts)
    cosines = np.sum(torch_vectors * graph_vectors, axis=1)
    # Queries: each chunk's first line (its signature, roughly), embedded by the graph as search does.
    queries = graph.embed_documents([text.splitlines()[0] for text in texts[:100]])
    same = [len(set(np.argsort(-(torch_vectors @ q))[:10]) & set(np.argsort(-(graph_vectors @ q))[:10])) / 10
            for q in queries]
    return {"chunks": len(texts), "cosine_min": round(float(cosines.min()), 4),
            "cosine_p1": round(float(np.percentile(cosines, 1)), 4), "cosine_mean": round(float(cosines.mean()), 4),
            "top10_overlap_mean": round(float(np.mean(same)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose code runs the ingest")
    parser.add_argument("--packages", nargs="+", default=["requests"])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--compare-vectors", type=int, default=0)
    args = parser.parse_args()
    from pharos_desktop.tools.sample_repos import make_package_repo

    with tempfile.TemporaryDirectory(prefix="bench-first-run-") as temp:
        work = Path(temp)
        source = make_package_repo(work / "source", *args.packages)
        bare = work / "served.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bare)], check=True)
        for round_ in range(args.rounds):
            result = first_run(args.code.resolve(), bare.as_uri(), work / f"round-{round_}", wait_for_graph=True)
            print(json.dumps({"code": str(args.code), "load": os.getloadavg()[0], **result}), flush=True)
        if args.compare_vectors:
            print(json.dumps({"vectors": compare_vectors(source, args.compare_vectors, work / "round-0")}), flush=True)


if __name__ == "__main__":
    main()
