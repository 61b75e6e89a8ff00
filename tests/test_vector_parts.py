"""A repository's vectors in parts (engine/index/vector_parts.py, issue 29): a process that writes much holds no
part itself, every part lives in a child process, each vector is in exactly one part through rewrites,
deletions, a kill -9 and its resume, the search copy reads every part, and removing a repository or its model
drops them all. Real Chroma on disk, real catalog, real child processes and signals; small vectors written
directly, so no model (the end-to-end ingest with the model is in test_ingest.py)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

from pharos_desktop.engine.doctor import _vector_gap
from pharos_desktop.engine.index import vector_parts
from pharos_desktop.engine.index.vectors import VectorStore, collection_name
from pharos_desktop.engine.local_index import LocalIndex
from pharos_desktop.engine.removal import remove_repository
from pharos_desktop.engine.workspace import Workspace

from .test_local_index import DIM, REPO
from .test_vector_index import CHECKOUT, OTHER, add_repos, finished

ROOT = Path(__file__).parents[1]
PER_PART = 10
FILES = [finished(f"f{n}.py", 4) for n in range(8)]  # 4 chunks a file, stored a file at a time: parts of 10, 10, 10, 2


@pytest.fixture(autouse=True)
def small_parts(monkeypatch):
    monkeypatch.setenv(vector_parts.PER_PART, str(PER_PART))


def ingest(workspace: Workspace, repo_id: str, files, forget=()) -> None:
    """One run of LocalIndex as the ingest makes it, a file at a time (as the pipeline hands them over)."""
    with closing(LocalIndex(workspace, repo_id)) as index:
        for work in files:
            for chunk in work.chunks:
                chunk.repo_id = repo_id
        index.reconcile([], list(forget))
        for work in files:
            index.store([work])
        index.finish(CHECKOUT, None, 0, 0)


def listed(workspace: Workspace, repo_id: str = REPO) -> tuple[dict[int, int], Counter]:
    """part -> vectors it lists, and how many parts list each id, from Chroma's own database."""
    base = collection_name(workspace.settings.model, DIM, repo_id)
    with sqlite3.connect(workspace.vectors_dir / "chroma.sqlite3") as conn:
        rows = conn.execute("SELECT c.name, e.embedding_id FROM collections c JOIN segments s ON s.collection = c.id "
                            "AND s.scope = 'METADATA' JOIN embeddings e ON e.segment_id = s.id").fetchall()
    sizes: Counter = Counter()
    ids: Counter = Counter()
    for name, chunk_id in rows:
        part = vector_parts.part_of(base, name)
        if part is not None:
            sizes[part] += 1
            ids[chunk_id] += 1
    return dict(sorted(sizes.items())), ids


def nearest(workspace_home: Path, work, n: int) -> str:
    """The chunk a fresh process's search finds nearest to chunk ``n``'s own vector."""
    fresh = Workspace(workspace_home)
    return fresh.search_vectors(fresh.settings.model, DIM).query(work.vectors[n], 1)[0][0]


def test_a_large_repository_is_written_in_parts_and_the_writer_holds_none(workspace, pharos_home, monkeypatch):
    opened_here = []
    real_part, real_existing = VectorStore.part, VectorStore.existing_collection
    monkeypatch.setattr(VectorStore, "part", lambda self, *args: opened_here.append(args[-1]) or real_part(self, *args))
    monkeypatch.setattr(VectorStore, "existing_collection",
                        lambda self, *args: opened_here.append(0) or real_existing(self, *args))
    add_repos(workspace)

    ingest(workspace, REPO, FILES)

    sizes, ids = listed(workspace)
    assert sizes == {0: 10, 1: 10, 2: 10, 3: 2}  # a file's chunks may straddle two parts
    assert set(ids.values()) == {1} and set(ids) == workspace.catalog.chunk_ids(REPO)
    assert opened_here == [], "the writing process opened a part itself, to write or for the search copy"
    # The children that read the parts for the search copy left them as the run recorded them: the next
    # run finds the store as this one left it, and needs no look at every part.
    assert workspace.catalog.find_repo(REPO).vectors_stamp == workspace.vector_store_stamp(REPO)
    assert nearest(pharos_home, FILES[7], 3) == FILES[7].chunks[3].chunk_id  # the search copy read part 3
    assert _vector_gap(workspace, workspace.catalog.find_repo(REPO)) == ""


def test_rewritten_and_deleted_files_in_later_parts_keep_one_vector_per_chunk(workspace, pharos_home):
    add_repos(workspace)
    ingest(workspace, REPO, FILES)
    rewritten = finished("f4.py", 4, content="v2")  # its chunks were in part 1
    old_ids = {chunk.chunk_id for chunk in FILES[4].chunks}
    more = [finished(f"g{n}.py", 4) for n in range(3)]

    ingest(workspace, REPO, [rewritten, *more], forget=["f7.py"])  # f7's chunks were in part 2

    sizes, ids = listed(workspace)
    assert set(ids.values()) == {1} and set(ids) == workspace.catalog.chunk_ids(REPO)
    assert not old_ids & set(ids) and not {chunk.chunk_id for chunk in FILES[7].chunks} & set(ids)
    assert sum(sizes.values()) == 4 * (8 - 1 + 3)
    assert max(sizes.values()) == PER_PART and len(sizes) == 4  # what the deletions freed was filled again
    assert nearest(pharos_home, rewritten, 1) == rewritten.chunks[1].chunk_id
    assert nearest(pharos_home, more[2], 3) == more[2].chunks[3].chunk_id
    assert _vector_gap(workspace, workspace.catalog.find_repo(REPO)) == ""


KILLED_MIDWAY = """
import os, signal, sys
from pharos_desktop.engine.local_index import LocalIndex
from pharos_desktop.engine.workspace import Workspace
from tests.test_local_index import REPO
from tests.test_vector_parts import FILES
index = LocalIndex(Workspace(), REPO)
index.reconcile([], [])
for work in FILES[:6]:
    for chunk in work.chunks:
        chunk.repo_id = REPO
    index.store([work])
# Files 3 to 6 are in parts 1 and 2, written by children; this process dies as the user's would (the child
# follows it).
os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
"""


def test_a_run_killed_while_a_child_writes_a_later_part_resumes_with_nothing_lost_or_doubled(workspace, pharos_home):
    add_repos(workspace)
    done = subprocess.run([sys.executable, "-c", KILLED_MIDWAY], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PHAROS_HOME": str(pharos_home)})
    assert done.returncode == -getattr(signal, "SIGKILL", signal.SIGTERM), done.stderr
    sizes, _ = listed(workspace)
    assert sizes == {0: 10, 1: 10, 2: 4}  # the children's writes are in Chroma's database

    ingest(Workspace(pharos_home), REPO, FILES)  # the run again: it resumes

    sizes, ids = listed(workspace)
    assert sum(sizes.values()) == 32 and max(sizes.values()) == PER_PART and set(ids.values()) == {1}
    assert set(ids) == workspace.catalog.chunk_ids(REPO)
    assert _vector_gap(workspace, workspace.catalog.find_repo(REPO)) == ""
    assert nearest(pharos_home, FILES[5], 0) == FILES[5].chunks[0].chunk_id


def test_removing_a_repository_or_changing_its_model_drops_every_part(workspace, pharos_home):
    add_repos(workspace)
    ingest(workspace, REPO, FILES)
    ingest(workspace, OTHER, [finished(f"o{n}.py", 4) for n in range(4)])
    assert len(listed(workspace)[0]) == 4 and len(listed(workspace, OTHER)[0]) == 2

    workspace.vectors().drop_collection(workspace.settings.model, DIM, OTHER)
    assert listed(workspace, OTHER)[0] == {}
    removed = remove_repository(workspace, REPO)

    assert removed.vectors == 32
    assert listed(workspace)[0] == {}
    with sqlite3.connect(workspace.vectors_dir / "chroma.sqlite3") as conn:
        folders = {row[0] for row in conn.execute("SELECT id FROM segments WHERE scope = 'VECTOR'")}
    assert not [entry for entry in workspace.vectors_dir.iterdir() if entry.is_dir() and entry.name not in folders]


def test_an_ingest_with_the_model_stores_and_searches_a_repository_in_parts(workspace, tmp_path, monkeypatch):
    from pharos_desktop.engine import local_index
    from pharos_desktop.engine.query.search import Searcher
    from pharos_desktop.tools.sample_repos import add_commit, make_package_repo

    from .test_ingest import assert_consistent
    from .test_ingest import ingest as real_ingest

    monkeypatch.setenv(vector_parts.PER_PART, "40")
    monkeypatch.setattr(local_index, "SMALL_RUN", 0)  # 8 files: a run this small would write into the first part
    repo = make_package_repo(tmp_path / "httpx-repo", "httpx", limit=8)

    result, _ = real_ingest(workspace, repo)

    embedder = workspace.embedder()
    base = collection_name(embedder.name, embedder.dim, result.repo_id)
    sizes = {part: count for part, (_, count) in vector_parts.read_parts(workspace.vectors_dir, base).items()}
    assert len(sizes) >= 3 and sum(sizes.values()) == result.chunks
    assert_consistent(workspace, result.repo_id)  # every chunk's vector, once, over all the parts
    last = max(sizes)
    with closing(workspace.vectors().repo_vectors(embedder.name, embedder.dim, result.repo_id)) as vectors:
        in_last = vectors.by_part(sorted(workspace.catalog.chunk_ids(result.repo_id)))[last]
    named = [c for c in workspace.catalog.get_chunks(in_last).values()
             if c.kind in ("function", "method") and not c.symbol.rpartition(".")[2].startswith("_")]
    chunk = max(named, key=lambda c: len(c.symbol.rpartition(".")[2]))  # the most distinctive name there
    hits = Searcher(workspace).search(chunk.symbol.replace(".", " ").replace("_", " "), limit=10)
    assert (chunk.path, chunk.symbol) in {(hit.path, hit.symbol) for hit in hits}

    # An edit of that file, re-ingested as a small run (as the live index does): its old vectors leave the last
    # part through one child, its new ones go into the first part, in this process.
    monkeypatch.setattr(local_index, "SMALL_RUN", 100)
    started = []
    real_start = vector_parts.PartServer.__init__
    monkeypatch.setattr(vector_parts.PartServer, "__init__",
                        lambda self, *args: started.append(args) or real_start(self, *args))
    path = repo / chunk.path
    add_commit(repo, {chunk.path: path.read_text() + "\n\ndef freshly_added_parts_helper():\n    return 7\n"}, "edit")

    again, _ = real_ingest(workspace, repo)

    assert 0 < again.embedded < result.chunks and len(started) == 1
    assert_consistent(workspace, result.repo_id)
    new_ids = [c.chunk_id for c in workspace.catalog.chunks_for_file(result.repo_id, chunk.path)]
    with closing(workspace.vectors().repo_vectors(embedder.name, embedder.dim, result.repo_id)) as vectors:
        assert set(vectors.by_part(new_ids)) == {0}
    assert Searcher(workspace).search("freshly added parts helper", limit=5)[0].symbol == "freshly_added_parts_helper"


def test_a_parts_name_is_its_repositorys_collection_and_its_number():
    base = collection_name("all-MiniLM-L6-v2", 384, REPO)
    assert vector_parts.part_name(base, 0) == base and vector_parts.part_name(base, 3) == base + "-p3"
    assert [vector_parts.part_of(base, name) for name in (base, base + "-p3", base + "-p12")] == [0, 3, 12]
    # another repository's collection whose name starts like a part is not one
    assert [vector_parts.part_of(base, name) for name in (base + "-p0", base + "-p3-1a2b3c4d", base + "x")] == \
        [None, None, None]


def test_new_vectors_fill_the_room_parts_have_first_then_new_parts_after_the_last():
    from itertools import islice

    parts = {0: ("a", 8), 1: ("b", 10), 3: ("d", 7)}
    assert list(islice(vector_parts._free_slots(parts, 10), 8)) == [0, 0, 3, 3, 3, 4, 4, 4]
    assert list(islice(vector_parts._free_slots({}, 2), 5)) == [0, 0, 1, 1, 2]
