"""One Chroma collection per model and repository (engine/index/vectors.py, issue 26): writing, checking and
removing one repository never opens another's collection (seen for real: the other's index files are garbage
meanwhile, and Chroma fails on any collection whose files it loads), and a data folder of the layout from before
(one collection per model, every repository in it, written here through chromadb as that code wrote it) is moved
into one collection per repository when it is opened, even when the move is killed with SIGKILL midway: the
next open finishes it, every vector is there, and the old collection's index folder is gone. Real Chroma on
disk, real catalog, real processes killed with real signals; small vectors written directly, so no model."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np

from pharos_desktop.engine.index.catalog import RepoRecord
from pharos_desktop.engine.index.vectors import collection_name
from pharos_desktop.engine.workspace import Workspace

from .test_local_index import DIM, REPO
from .test_vector_index import OTHER, add_repos, finished, ingest

ROOT = Path(__file__).parents[1]
THIRD = "0011223344556677"
PER_REPO = 1200  # over a page of the move (1000), and enough for Chroma to write each index folder


def index_folders(vectors_dir: Path, repo_id: str | None = None) -> set[str]:
    """The index folders on disk of the repository's collections (None: of the collections with no repository,
    the layout from before), as Chroma's own database lists them."""
    with sqlite3.connect(vectors_dir / "chroma.sqlite3") as conn:
        segments = {row[0]: row[1] for row in conn.execute(
            "SELECT s.id, m.str_value FROM segments s LEFT JOIN collection_metadata m "
            "ON m.collection_id = s.collection AND m.key = 'repo_id' WHERE s.scope = 'VECTOR'")}
    return {name for name, owner in segments.items() if owner == repo_id and (vectors_dir / name).is_dir()}


def run(script: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PHAROS_HOME": str(home), **env})


# -- one repository's work opens only its own collection --------------------------------------------------------

ONE_REPO_ONLY = """
import json
from pharos_desktop.engine.doctor import _vector_gap
from pharos_desktop.engine.removal import remove_repository
from pharos_desktop.engine.workspace import Workspace
from tests.test_local_index import REPO
from tests.test_vector_index import finished, ingest
workspace = Workspace()
ingest(workspace, REPO, [finished("a0.py", 5, content="v2")])  # one changed file, re-ingested
gap = _vector_gap(workspace, workspace.catalog.find_repo(REPO))  # doctor's check of its vectors
removed = remove_repository(workspace, REPO)
print(json.dumps({"gap": gap, "vectors": removed.vectors}))
"""


def test_one_repositorys_write_check_and_removal_never_open_anothers_collection(workspace, pharos_home):
    add_repos(workspace)
    ingest(workspace, REPO, [finished("a0.py", PER_REPO), finished("a1.py", 3)])
    ingest(workspace, OTHER, [finished("b0.py", PER_REPO)])
    others = index_folders(workspace.vectors_dir, OTHER)
    assert others and index_folders(workspace.vectors_dir, REPO), "each repository has index folders of its own"
    saved = {path: path.read_bytes() for name in others for path in (workspace.vectors_dir / name).iterdir()}
    for path in saved:
        path.write_bytes(b"not an index")

    done = run(ONE_REPO_ONLY, pharos_home)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"gap": "", "vectors": 5 + 3}
    for path, data in saved.items():
        path.write_bytes(data)
    fresh = Workspace(pharos_home)
    assert fresh.vectors().existing_collection(fresh.settings.model, DIM, REPO) is None
    assert fresh.vectors().existing_collection(fresh.settings.model, DIM, OTHER).ids() == \
        fresh.catalog.chunk_ids(OTHER)
    other = finished("b0.py", PER_REPO)
    assert fresh.search_vectors(fresh.settings.model, DIM).query(other.vectors[7], 1)[0][0] == other.chunks[7].chunk_id


# -- a store of the layout from before ------------------------------------------------------------------------

OLD_LAYOUT = """
import sys
import chromadb
from pharos_desktop.engine.index.catalog import RepoRecord
from pharos_desktop.engine.index.vectors import collection_name
from tests.test_vectors_per_repo import old_works
model = sys.argv[1]
client = chromadb.PersistentClient(path=sys.argv[2])
# As the code before one collection per repository made it: one per model, named by model and dimension.
old = client.get_or_create_collection(collection_name(model, 8), embedding_function=None,
                                      metadata={"hnsw:space": "cosine", "model": model, "dim": 8})
for repo_id, work in old_works():
    ids = [c.chunk_id for c in work.chunks]
    metadatas = [{"repo_id": repo_id, "path": c.path, "language": c.language, "kind": c.kind} for c in work.chunks]
    for start in range(0, len(ids), 500):
        old.upsert(ids=ids[start:start + 500], embeddings=work.vectors[start:start + 500],
                   metadatas=metadatas[start:start + 500])
"""


OPEN_STORE = """
import sys
from pharos_desktop.engine.errors import PharosError
from pharos_desktop.engine.workspace import Workspace
try:
    Workspace().vectors()
except PharosError as exc:
    print(exc)
    sys.exit(1)
"""


def old_works():
    """(repository, file) of the old store: a file of PER_REPO chunks in each of three repositories."""
    works = []
    for repo_id in (REPO, OTHER, THIRD):
        work = finished(f"{repo_id}.py", PER_REPO)
        for chunk in work.chunks:
            chunk.repo_id = repo_id
        works.append((repo_id, work))
    return works


def test_an_old_layout_store_is_moved_once_even_when_killed_midway(workspace, pharos_home):
    add_repos(workspace)
    workspace.catalog.upsert_repo(RepoRecord(THIRD, THIRD, f"/src/{THIRD}", "local", model=workspace.settings.model,
                                             dim=DIM))
    for repo_id, work in old_works():
        workspace.catalog.replace_files(repo_id, [(work.record, work.chunks)])
    model = workspace.settings.model
    made = subprocess.run([sys.executable, "-c", OLD_LAYOUT, model, str(workspace.vectors_dir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    old_folders = index_folders(workspace.vectors_dir)
    assert old_folders, "the old collection wrote its index folder"

    # The process moving them killed after three pages: one repository moved, the next one part way.
    killed = run(OPEN_STORE, pharos_home, PHAROS_TEST_VECTORS_MOVE_KILL_AT="3")
    assert killed.returncode == 1, killed.stderr
    assert killed.stdout.strip() == (
        f"cannot move the vector store at {workspace.vectors_dir} into one collection per repository (the process "
        "doing it stopped unexpectedly); nothing is lost: open it again to finish the move")
    log = (pharos_home / "logs" / "pharos.log")
    said = killed.stderr + (log.read_text() if log.exists() else "")
    assert f"vector store: moving the {3 * PER_REPO} vectors of {model} into one collection per repository" in said
    assert index_folders(workspace.vectors_dir) == old_folders, "the old collection stays until all is moved"

    # The process that opened the store killed while its child moves (the second repository again): the child
    # ends with it, and the next open waits for that.
    killed = run(OPEN_STORE, pharos_home, PHAROS_TEST_VECTORS_MOVE_KILL_AT="parent 1")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert index_folders(workspace.vectors_dir) == old_folders

    fresh = Workspace(pharos_home)
    store = fresh.vectors()  # finishes the move
    for repo_id, work in old_works():
        collection = store.existing_collection(model, DIM, repo_id)
        assert collection is not None and collection.ids() == fresh.catalog.chunk_ids(repo_id), repo_id
        ids, vectors, _ = zip(*collection.pages_of([c.chunk_id for c in work.chunks]))
        got = dict(zip(sum(map(list, ids), []), np.concatenate([np.asarray(v) for v in vectors])))
        assert np.allclose([got[c.chunk_id] for c in work.chunks], work.vectors, atol=1e-6), repo_id
    with sqlite3.connect(workspace.vectors_dir / "chroma.sqlite3") as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM collections")}
    assert collection_name(model, DIM) not in names and len(names) == 3
    assert not any((workspace.vectors_dir / name).exists() for name in old_folders), "its space given back"

    # Search reads the moved vectors: each is its own nearest.
    index = fresh.search_vectors(model, DIM)
    assert index.missing == 0 and index.counts_by_repo() == {REPO: PER_REPO, OTHER: PER_REPO, THIRD: PER_REPO}
    repo_id, work = old_works()[1]
    assert index.query(work.vectors[11], 1, {"repo_id": {"$in": [repo_id]}})[0][0] == work.chunks[11].chunk_id


# -- a `chroma run` server ----------------------------------------------------------------------------------------

def test_on_a_server_search_asks_each_repositorys_collection_and_leaves_other_programs_alone(
        tmp_path, monkeypatch, pharos_home, chroma_server):
    import uuid

    import chromadb

    monkeypatch.setenv("PHAROS_CHROMA_URL", chroma_server)
    workspace = Workspace()
    host, port = chroma_server.rsplit("://", 1)[-1].split(":")
    client = chromadb.HttpClient(host=host, port=int(port))
    theirs = client.get_or_create_collection(f"another-program-{uuid.uuid4().hex[:8]}", embedding_function=None)
    theirs.upsert(ids=["x"], embeddings=[[1.0] * DIM], metadatas=[{"repo_id": "whatever"}])
    ones, twos = uuid.uuid4().hex[:16], uuid.uuid4().hex[:16]  # the server outlives this test: ids of its own
    for repo_id in (ones, twos):
        workspace.catalog.upsert_repo(RepoRecord(repo_id, repo_id, f"/src/{repo_id}", "local",
                                                 model=workspace.settings.model, dim=DIM))
    one, two = finished(f"{ones}.py", 20), finished(f"{twos}.py", 30)
    ingest(workspace, ones, [one])
    ingest(workspace, twos, [two])

    found = workspace.search_vectors(workspace.settings.model, DIM)
    assert found.query(one.vectors[3], 1)[0][0] == one.chunks[3].chunk_id
    assert found.query(two.vectors[4], 1)[0][0] == two.chunks[4].chunk_id
    assert {chunk_id for chunk_id, _ in found.query(one.vectors[3], 100)} >= {
        c.chunk_id for c in one.chunks + two.chunks}
    assert workspace.vectors().repo_ids() >= {ones, twos}

    assert workspace.vectors().remove_repo(ones) == 20
    assert workspace.vectors().existing_collection(workspace.settings.model, DIM, ones) is None
    assert theirs.name in {c.name for c in client.list_collections()} and theirs.count() == 1


def test_a_store_leaves_chromadbs_cache_of_open_indexes_at_its_own_size(tmp_path):
    """chromadb keeps up to a fifth of the open-file limit of indexes open, and an index it evicts loses the writes
    not yet in its files: with room for 64, moving a 100,000-chunk store of 112 repositories lost 455 vectors of
    one (docs/benchmarks.md). So the store never makes that cache smaller than chromadb would."""
    if sys.platform == "win32":
        return  # chromadb reads another limit there
    script = f"""
import json, resource
from pharos_desktop.engine.index.vectors import VectorStore
from pharos_desktop.engine.settings import Settings
resource.setrlimit(resource.RLIMIT_NOFILE, (min(20000, resource.getrlimit(resource.RLIMIT_NOFILE)[1]),
                   resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
before = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
store = VectorStore.open(Settings(), __import__("pathlib").Path({str(tmp_path / "vectors")!r}))
print(json.dumps({{"cache": store._client._server.hnsw_cache_size, "limit": before}}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["cache"] >= seen["limit"] // 5 - 1, seen


def write_old_store(folder: Path, repos: int) -> tuple[str, int, dict[str, np.ndarray]]:
    """A store of the layout from before, written through chromadb by a process that then ends: ``repos``
    repositories of 50 to 1,200 random vectors. Returns the model, the dimension and each repository's vectors
    (ids ``<repo>-<n>``)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    model, dim = "all-MiniLM-L6-v2", 384
    client = chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))
    old = client.get_or_create_collection(collection_name(model, dim), embedding_function=None,
                                          metadata={"hnsw:space": "cosine", "model": model, "dim": dim})
    rng, written = np.random.default_rng(0), {}
    for n in range(repos):
        repo_id, size = f"repo{n:04d}", (50, 300, 753, 1200)[n % 4]
        vectors = rng.normal(size=(size, dim))
        written[repo_id] = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        metadata = {"repo_id": repo_id, "path": "a.py", "language": "python", "kind": "function"}
        for start in range(0, size, 1000):
            count = min(1000, size - start)
            old.upsert(ids=[f"{repo_id}-{i}" for i in range(start, start + count)],
                       embeddings=written[repo_id][start:start + count], metadatas=[metadata] * count)
    del old, client
    chromadb.api.client.SharedSystemClient.clear_system_cache()  # as a process that wrote it and ended
    return model, dim, written


def test_moving_more_repositories_than_chromadb_once_kept_open_loses_no_vector(tmp_path):
    """The old layout of 90 repositories (51,016 vectors) moved: with chromadb's cache held to 64 indexes this lost
    350 vectors of one repository; every one of them is moved now."""
    from pharos_desktop.engine.index.vectors import VectorStore
    from pharos_desktop.engine.settings import Settings

    folder = tmp_path / "vectors"
    model, dim, written = write_old_store(folder, 90)

    store = VectorStore.open(Settings(), folder)
    moved = {repo_id: store.existing_collection(model, dim, repo_id) for repo_id in written}
    assert {repo_id: c.count() if c else 0 for repo_id, c in moved.items()} == {
        repo_id: len(vectors) for repo_id, vectors in written.items()}


MOVED_VECTORS = """
import json, sys
import numpy as np
from pathlib import Path
from pharos_desktop.engine.index.vectors import VectorStore
from pharos_desktop.engine.settings import Settings
store = VectorStore.open(Settings(), Path(sys.argv[1]))
model, dim, sizes = sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
found = {}
for repo_id, size in sizes.items():
    collection = store.existing_collection(model, dim, repo_id)
    pages = list(collection.pages_of([f"{repo_id}-{i}" for i in range(size)])) if collection else []
    found[repo_id] = [[i for ids, _, _ in pages for i in ids], [v.tolist() for _, vs, _ in pages for v in vs]]
print(json.dumps(found))
"""


def index_files_open(folder: Path) -> set[str]:
    """The index folders under ``folder`` of which this process holds a file open (chromadb keeps the files of
    every index it has loaded open)."""
    found = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = Path(os.readlink(fd))
        except OSError:
            continue
        if target.parent.parent == folder:
            found.add(target.parent.name)
    return found


def test_the_move_runs_in_child_processes_a_few_repositories_each_and_loses_no_vector(tmp_path, monkeypatch):
    """On disk the move runs in child processes, each moving repositories up to a number of vectors and ending, so
    that the process opening the store never holds every repository's index (7.6 GB at a million chunks). With
    room for 5,000 vectors a child, eleven children move the 90 repositories: every vector is there, as written,
    read by a process of its own, and the opening process has no repository's index open."""
    from pharos_desktop.engine.index.vectors import VectorStore
    from pharos_desktop.engine.settings import Settings

    if not Path("/proc/self/fd").is_dir():
        return  # the open files are read from Linux's /proc
    folder = tmp_path / "vectors"
    model, dim, written = write_old_store(folder, 90)
    monkeypatch.setenv("PHAROS_VECTORS_PER_CHILD", "5000")

    store = VectorStore.open(Settings(), folder)

    assert not store._old_layout() and not index_folders(folder)
    repo_folders = {name for repo_id in written for name in index_folders(folder, repo_id)}
    assert repo_folders and not index_files_open(folder) & repo_folders, "repositories' indexes loaded here"
    sizes = {repo_id: len(vectors) for repo_id, vectors in written.items()}
    read = subprocess.run([sys.executable, "-c", MOVED_VECTORS, str(folder), model, str(dim), json.dumps(sizes)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert read.returncode == 0, read.stderr
    found = json.loads(read.stdout)
    for repo_id, vectors in written.items():
        ids, got = found[repo_id]
        assert ids == [f"{repo_id}-{i}" for i in range(len(vectors))], repo_id
        assert np.allclose(got, vectors, atol=1e-6), repo_id


INGEST_MANY = """
import sys
from pharos_desktop.engine.index.catalog import RepoRecord
from pharos_desktop.engine.workspace import Workspace
from tests.test_local_index import DIM
from tests.test_vector_index import finished, ingest
workspace = Workspace()
for n in range(int(sys.argv[1])):
    repo_id = f"{n:016x}"
    workspace.catalog.upsert_repo(RepoRecord(repo_id, repo_id, f"/src/{repo_id}", "local",
                                             model=workspace.settings.model, dim=DIM))
    ingest(workspace, repo_id, [finished(f"{repo_id}.py", 700)])
"""


def test_the_search_index_made_again_whole_reads_chroma_in_child_processes(pharos_home, monkeypatch):
    """Made again from every repository's collection (after a copy, or the store replaced), the search index reads
    them in child processes of up to a number of vectors each, so that the process searching (the window's) does
    not keep every repository's index (5.3 GB at a million chunks): twelve repositories of 700 chunks, 2,000
    vectors a child, every vector in the index and none of the repositories' indexes open here."""
    if not Path("/proc/self/fd").is_dir():
        return  # the open files are read from Linux's /proc
    made = subprocess.run([sys.executable, "-c", INGEST_MANY, "12"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PHAROS_HOME": str(pharos_home)})
    assert made.returncode == 0, made.stderr
    import shutil

    shutil.rmtree(pharos_home / "search-index")  # as in a copy of the data folder made without it
    monkeypatch.setenv("PHAROS_VECTORS_PER_CHILD", "2000")
    workspace = Workspace(pharos_home)

    index = workspace.search_vectors(workspace.settings.model, DIM)

    repos = [f"{n:016x}" for n in range(12)]
    assert index.missing == 0 and index.counts_by_repo() == dict.fromkeys(repos, 700)
    work = finished(f"{repos[7]}.py", 700)
    assert index.query(work.vectors[5], 1)[0][0] == work.chunks[5].chunk_id
    repo_folders = {name for repo_id in repos for name in index_folders(workspace.vectors_dir, repo_id)}
    assert repo_folders and not index_files_open(workspace.vectors_dir) & repo_folders, \
        "repositories' indexes loaded here"


def test_chromas_log_is_indexed_by_collection_so_a_write_reads_only_its_own_entries(tmp_path):
    """Chroma keeps each collection's unsaved writes in one log for every collection (a store of small
    repositories: most of its vectors), and after each write removes that collection's entries by a range of the
    whole log: at a million chunks 0.3 s a write. A store made before, opened now, gets an index that serves that
    statement, and Chroma still writes and reads through it."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from pharos_desktop.engine.index.vectors import VectorStore
    from pharos_desktop.engine.settings import Settings

    folder, name = tmp_path / "vectors", collection_name("m", DIM, REPO)
    client = chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))
    client.get_or_create_collection(name, embedding_function=None, metadata={"repo_id": REPO}).upsert(
        ids=["a"], embeddings=np.ones((1, DIM), np.float32), metadatas=[{"path": "a.py"}])
    del client
    chromadb.api.client.SharedSystemClient.clear_system_cache()  # as a process that wrote it and ended

    store = VectorStore.open(Settings(), folder)
    with sqlite3.connect(folder / "chroma.sqlite3") as conn:
        plan = conn.execute("EXPLAIN QUERY PLAN DELETE FROM embeddings_queue WHERE topic = ? AND seq_id < ?",
                            ("persistent://default/default/x", 10)).fetchall()
    assert "USING INDEX pharos_embeddings_queue_topic (topic=? AND seq_id<?)" in str(plan)
    collection = store.collection("m", DIM, REPO)
    collection.upsert(["b", "c"], np.ones((2, DIM), np.float32), [{"path": "b.py"}] * 2)
    collection.delete_paths(["a.py"])
    assert collection.ids() == {"b", "c"}
