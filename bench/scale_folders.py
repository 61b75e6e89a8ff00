"""Data folders of 100,000 and 1,000,000 chunks for bench/bench_scale.py, made from real ingests.

Ingesting a million chunks on two cores takes days, so a folder is grown from the data folders that
bench/search_eval.py ingested for real (77 repositories: PyPI and npm packages, Debian source packages,
GitHub projects, in 14 languages; about 70,000 chunks). Their repositories are written into the new
folder as they are, then again as replicas under new repositories until the size is reached: the same
files, chunks and texts, new chunk ids (made as an ingest makes them), and each vector with a little
random noise (a cosine of about 0.98 to the original) and renormalised, so that no two vectors are the
same. Everything goes through the engine's own stores (catalog rows with their keyword index, Chroma),
vectors first as an ingest does. Last, one repository is ingested for real through the command line: it
is the one bench_scale.py edits, and its ingest leaves the search copy (search-cache) as any ingest does.

A finished folder is kept under /tmp/pharos-scale/<size>/home and used again by later runs (the
"after" run of a new vector store included: the folder is what today's ingest leaves).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pharos_desktop.engine.index.catalog import IMPORTS_VERSION, ChunkRecord, FileRecord, RepoRecord  # noqa: E402
from pharos_desktop.engine.pipeline import chunk_id  # noqa: E402
from pharos_desktop.engine.source.spec import repo_id as make_repo_id  # noqa: E402
from pharos_desktop.engine.states import IndexedTree, RepoState  # noqa: E402

SCALE_ROOT = Path("/tmp/pharos-scale")
SEED_HOMES = (Path("/tmp/pharos-search-eval/home-ebac8230b1"), Path("/tmp/pharos-search-eval/home-languages-ebac8230b1"))
SOURCES = Path("/tmp/pharos-search-eval/repos")  # the seed repositories' checkouts (git)
EDITED = "httpx-0.28.1"  # ingested for real into every folder; bench_scale.py changes one of its files
NOISE = 0.2  # length of the noise added to a unit vector: cosine to the original about 0.98


@dataclass
class SeedRepo:
    repo: RepoRecord
    files: list[FileRecord]
    chunks: dict[str, list[ChunkRecord]]  # path -> chunks in order
    vectors: dict[str, object]  # chunk id -> float32 vector

    @property
    def size(self) -> int:
        return sum(len(chunks) for chunks in self.chunks.values())


def home_of(size: int, root: Path = SCALE_ROOT) -> Path:
    return root / str(size) / "home"


def edited_source(size: int, root: Path = SCALE_ROOT, name: str = EDITED) -> Path:
    return root / str(size) / "src" / name


def read_seeds(seed_homes=SEED_HOMES, work: Path = SCALE_ROOT / "seeds") -> list[SeedRepo]:
    """Every ready repository of the seed folders, once each, with its vectors. The seeds are copied first
    (opening Chroma may write to its folder; the originals stay untouched)."""
    import numpy as np

    from pharos_desktop.engine.index.vectors import VectorStore
    from pharos_desktop.engine.settings import Settings

    seeds: dict[str, SeedRepo] = {}
    for home in seed_homes:
        copy = work / home.name
        if not copy.is_dir():
            shutil.copytree(home, copy, ignore=shutil.ignore_patterns("models"))
        conn = sqlite3.connect(copy / "catalog.sqlite")
        conn.row_factory = sqlite3.Row
        repos = [row for row in conn.execute("SELECT * FROM repos WHERE state = 'ready'")
                 if row["repo_id"] not in seeds]
        wanted: dict[str, SeedRepo] = {}
        for row in repos:
            record = RepoRecord(row["repo_id"], row["name"], row["source"], row["kind"], row["web_base"],
                                row["branch"], row["commit_sha"], row["checkout_path"], row["model"], row["dim"],
                                row["runtime"], state=RepoState.READY, created_at=row["created_at"],
                                ingested_at=row["ingested_at"])
            files = [FileRecord(r["path"], r["language"], r["size"], r["mtime_ns"], r["content_hash"],
                                r["skip_reason"], r["chunk_count"])
                     for r in conn.execute("SELECT * FROM files WHERE repo_id = ? ORDER BY path", (row["repo_id"],))]
            chunks: dict[str, list[ChunkRecord]] = {}
            for r in conn.execute("SELECT * FROM chunks WHERE repo_id = ? ORDER BY path, ordinal", (row["repo_id"],)):
                values = dict(r)
                values["deps"] = json.loads(values["deps"])
                chunks.setdefault(r["path"], []).append(ChunkRecord(**values))
            wanted[row["repo_id"]] = SeedRepo(record, files, chunks, {})
        conn.close()
        store = VectorStore.open(Settings(), copy / "vectors")
        model, dim = repos[0]["model"], repos[0]["dim"]
        for seed in wanted.values():
            collection = store.existing_collection(model, dim, seed.repo.repo_id)
            for ids, embeddings, _ in collection.everything() if collection is not None else ():
                seed.vectors.update((chunk, np.asarray(vector, dtype="float32")) for chunk, vector in zip(ids, embeddings))
        for seed in wanted.values():
            # Only chunks with a vector: a real folder has both or neither.
            seed.chunks = {path: [c for c in chunks if c.chunk_id in seed.vectors]
                           for path, chunks in seed.chunks.items()}
        seeds.update(wanted)
    return sorted(seeds.values(), key=lambda seed: seed.repo.name)


def write_repo(workspace, seed: SeedRepo, copy: int, budget: int, rng) -> int:
    """Write the seed repository into the workspace: itself (copy 0) or a replica with perturbed vectors,
    at most ``budget`` chunks (whole files). Vectors first, then the catalog, as LocalIndex does."""
    import numpy as np

    repo = seed.repo
    source = repo.source if copy == 0 else f"{repo.source}-replica{copy:04d}"
    repo_id = repo.repo_id if copy == 0 else make_repo_id(source, None)
    name = repo.name if copy == 0 else f"{repo.name}-replica{copy:04d}"
    workspace.catalog.upsert_repo(RepoRecord(repo_id, name, source, repo.kind, repo.web_base, repo.branch, repo.commit,
                                             repo.checkout_path, repo.model, repo.dim, repo.runtime,
                                             state=RepoState.INGESTING, created_at=time.time()))
    collection = workspace.vectors().collection(repo.model, repo.dim, repo_id)
    batch, ids, vectors, metadatas, written = [], [], [], [], 0
    for record in seed.files:
        chunks = seed.chunks.get(record.path, []) if record.skip_reason is None else []
        if written + len(chunks) > budget:
            break
        renamed = [ChunkRecord(**{**chunk.__dict__, "repo_id": repo_id,
                                  "chunk_id": chunk.chunk_id if copy == 0 else
                                  chunk_id(repo_id, chunk.path, record.content_hash, chunk.ordinal)})
                   for chunk in chunks]
        for old, new in zip(chunks, renamed):
            ids.append(new.chunk_id)
            vectors.append(seed.vectors[old.chunk_id])
            metadatas.append({"repo_id": repo_id, "path": new.path, "language": new.language, "kind": new.kind})
        batch.append((FileRecord(**{**record.__dict__, "chunk_count": len(renamed)}), renamed))
        written += len(renamed)
    if ids:
        matrix = np.stack(vectors)
        if copy:
            noise = rng.standard_normal(matrix.shape).astype("float32")
            noise *= NOISE / np.linalg.norm(noise, axis=1, keepdims=True)
            matrix = matrix + noise
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        collection.upsert(ids, matrix, metadatas)
    workspace.catalog.replace_files(repo_id, [(record, chunks) for record, chunks in batch if record.skip_reason is None])
    skipped = [record for record, _ in batch if record.skip_reason is not None]
    if skipped:
        workspace.catalog.record_skipped(repo_id, skipped)
    workspace.catalog.set_repo_state(repo_id, RepoState.READY, commit=repo.commit, branch=repo.branch,
                                     tree=IndexedTree.COMMIT, todo=0, ingested_at=time.time(), model=repo.model,
                                     dim=repo.dim, runtime=repo.runtime, imports_version=IMPORTS_VERSION)
    return written


def cli_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_") or k == "PHAROS_MODEL_CACHE"}
    env.update({"PHAROS_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "ANONYMIZED_TELEMETRY": "False", "PYTHONPATH": str(ROOT)})
    return env


def copy_source(source: Path, dest: Path) -> Path:
    """A private copy of a repository's checkout (with its .git), to ingest and edit."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, dest, symlinks=True)
    return dest


def build(size: int, root: Path = SCALE_ROOT, seeds: list[SeedRepo] | None = None, log=print,
          real: Path = SOURCES / EDITED, models: Path | None = SEED_HOMES[0] / "models") -> dict:
    """Make the folder of ``size`` chunks under root (replacing one there), the ``real`` repository ingested
    through the command line last (from a copy: edited_source), ``models`` (the model graphs) copied in.
    Returns what it took."""
    import numpy as np

    from pharos_desktop.engine.settings import Settings
    from pharos_desktop.engine.workspace import Workspace

    began = time.perf_counter()
    seeds = seeds if seeds is not None else read_seeds()
    folder = root / str(size)
    if folder.exists():
        shutil.rmtree(folder)
    home = home_of(size, root)  # built in place (paths are recorded in it); built.json marks it finished
    home.mkdir(parents=True)
    if models is not None:
        shutil.copytree(models, home / "models")  # the model graph: made once, not per folder
    edited = next((seed for seed in seeds if seed.repo.name == real.name), None)
    reserve = edited.size if edited is not None else 0
    previous = os.environ.get("PHAROS_HOME")
    os.environ["PHAROS_HOME"] = str(home)
    try:
        workspace = Workspace(home, Settings.load())
        rng = np.random.default_rng(size)
        stored, copy, repos, full = 0, 0, 0, True
        while full:
            for seed in seeds:
                if copy == 0 and seed is edited:
                    continue  # it is ingested for real below, under its own path
                left = size - reserve - stored
                full = left >= seed.size
                if left > 0:
                    stored += write_repo(workspace, seed, copy, left, rng)
                    repos += 1
                if not full:
                    break  # the last repository, cut to size (whole files)
            log(f"  copy {copy}: {stored:,} chunks in {repos} repositories, {time.perf_counter() - began:.0f} s")
            copy += 1
        with workspace.catalog.writing() as conn:
            for repo_id in [row[0] for row in conn.execute("SELECT repo_id FROM repos")]:
                conn.execute("UPDATE repos SET vectors_stamp = ? WHERE repo_id = ?",
                             (workspace.vector_store_stamp(repo_id), repo_id))
        workspace.catalog.close()
    finally:
        if previous is None:
            os.environ.pop("PHAROS_HOME", None)
        else:
            os.environ["PHAROS_HOME"] = previous
    replicated = time.perf_counter() - began
    source = copy_source(real, edited_source(size, root, real.name))
    log(f"  ingesting {source} through the command line ...")
    subprocess.run([sys.executable, "-m", "pharos_desktop", "ingest", str(source)], env=cli_env(home), check=True,
                   stdout=subprocess.DEVNULL)
    with sqlite3.connect(home / "catalog.sqlite") as conn:
        chunks, repo_count = conn.execute("SELECT (SELECT COUNT(*) FROM chunks), (SELECT COUNT(*) FROM repos)").fetchone()
    made = {"chunks": chunks, "repos": repo_count, "replicas": copy, "replicate_s": round(replicated, 1),
            "build_s": round(time.perf_counter() - began, 1), "built_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    (folder / "built.json").write_text(json.dumps(made, indent=2) + "\n")
    return made


def built(size: int, root: Path = SCALE_ROOT) -> dict | None:
    """What the cached folder of this size took to make, or None when there is none (or it was cut short)."""
    try:
        return json.loads((root / str(size) / "built.json").read_text())
    except (OSError, ValueError):
        return None


if __name__ == "__main__":  # python -m bench.scale_folders SIZE [ROOT]: what bench_scale.py runs to make a folder
    print(json.dumps(build(int(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else SCALE_ROOT,
                           log=lambda line: print(line, file=sys.stderr, flush=True))))
