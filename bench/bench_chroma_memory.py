"""What Chroma's in-process index costs a process that writes vectors, and whether the process gets it back.

    .venv/bin/python -m bench.bench_chroma_memory [--vectors 30000] [--part 10000] [--layout one,parts]

Writes random 384-wide vectors (the default model's width), 500 at a time with a path and a repository in their
metadata as an ingest writes them, into a fresh store on disk, and prints the process's anonymous resident memory
every 10,000 vectors. ``one``: a single collection. ``parts``: a collection per ``--part`` vectors, with chromadb's
client stopped (its Rust bindings dropped) and glibc asked to give freed memory back (``malloc_trim``) after each
part, as a writer that moves on from a full part would. Each layout runs in a process of its own. Then the store
is opened again and every vector read back, so a layout that loses writes shows it.

Run with ``MALLOC_ARENA_MAX=1`` or ``MALLOC_MMAP_THRESHOLD_=131072`` to see whether glibc's arenas account for
the growth (docs/benchmarks.md, Ingest memory).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pharos_desktop.engine.index.vectors import persistent_client  # noqa: E402

DIM = 384
BATCH = 500


def anonymous_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return 0.0


def write(folder: str, layout: str, vectors: int, part: int) -> None:
    import numpy as np
    from chromadb.api.shared_system_client import SharedSystemClient

    def client():
        return persistent_client(Path(folder))

    def collection(store, number: int):
        return store.get_or_create_collection(f"part-{number}", embedding_function=None,
                                              metadata={"hnsw:space": "cosine"})

    rng = np.random.default_rng(0)
    store = client()
    print(f"{layout}: store open, {anonymous_mb():.0f} MB", flush=True)
    number, target = 0, collection(store, 0)
    for start in range(0, vectors, BATCH):
        ids = [f"chunk-{n:08d}" for n in range(start, start + BATCH)]
        target.upsert(ids=ids, embeddings=rng.standard_normal((BATCH, DIM), dtype=np.float32),
                      metadatas=[{"repo_id": "r", "path": f"file-{n // 20}.py"} for n in range(start, start + BATCH)])
        written = start + BATCH
        if layout == "parts" and written % part == 0 and written < vectors:
            target = None
            store._system.stop()
            SharedSystemClient.clear_system_cache()
            store = None
            if sys.platform.startswith("linux"):
                ctypes.CDLL("libc.so.6").malloc_trim(0)
            store = client()
            number += 1
            target = collection(store, number)
        if written % 10_000 == 0:
            print(f"{layout}: {written:>9,} vectors, {anonymous_mb():.0f} MB", flush=True)


def read_back(folder: str) -> None:
    store = persistent_client(Path(folder))
    listed = read = 0
    for found in store.list_collections():
        collection = store.get_collection(found.name, embedding_function=None)
        ids = collection.get(include=[])["ids"]
        listed += len(ids)
        for start in range(0, len(ids), 1000):
            read += len(collection.get(ids=ids[start:start + 1000], include=["embeddings"])["embeddings"])
    print(f"opened again: {listed:,} listed, {read:,} read back", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, default=30_000)
    parser.add_argument("--part", type=int, default=10_000)
    parser.add_argument("--layout", default="one,parts")
    parser.add_argument("--child", nargs=2, metavar=("LAYOUT", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        layout, folder = args.child
        write(folder, layout, args.vectors, args.part)
        read_back(folder)
        return 0
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False", PYTHONPATH=str(ROOT))
    for layout in args.layout.split(","):
        with tempfile.TemporaryDirectory(prefix="pharos-bench-chroma-") as folder:
            subprocess.run([sys.executable, "-m", "bench.bench_chroma_memory", "--vectors", str(args.vectors),
                            "--part", str(args.part), "--child", layout, folder], env=env, cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
