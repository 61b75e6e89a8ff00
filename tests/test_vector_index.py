"""The search index (engine/index/vector_index.py) follows the catalog by its changes: after an ingest, a
re-ingest of one changed file and the removal of a repository it holds exactly the catalog's chunks, per
repository; a re-ingest appends the changed file's rows rather than writing the index again; a removal gives
its space back; a process killed with SIGKILL in the middle of an update leaves an index that the next reader
finds stale and catches up, never one that answers from rows the catalog does not hold. Real catalog, real
Chroma on disk, real processes killed with real signals; small vectors written directly, so no model."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from pharos_desktop.engine.index import vector_index
from pharos_desktop.engine.index.catalog import RepoRecord
from pharos_desktop.engine.index.vector_index import IndexWriter, VectorIndex
from pharos_desktop.engine.index.vectors import collection_name
from pharos_desktop.engine.local_index import LocalIndex
from pharos_desktop.engine.workspace import Workspace

from .test_local_index import DIM, REPO
from .test_local_index import finished as finished_alike

OTHER = "fedcba9876543210"
CHECKOUT = SimpleNamespace(uncommitted=False, commit="c0ffee", branch="main")


def finished(path: str, chunks: int, content: str = "v1"):
    """test_local_index.finished, with unit vectors of its own per file: each chunk is its own nearest."""
    work = finished_alike(path, chunks, content)
    vectors = np.random.default_rng(zlib.crc32(f"{path}{content}".encode())).normal(size=(chunks, DIM))
    work.vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype("float32")
    return work


def add_repos(workspace: Workspace) -> None:
    for repo_id in (REPO, OTHER):
        workspace.catalog.upsert_repo(RepoRecord(repo_id, repo_id, f"/src/{repo_id}", "local",
                                                 model=workspace.settings.model, dim=DIM))


def ingest(workspace: Workspace, repo_id: str, files, forget=()) -> None:
    """One run of LocalIndex as the ingest makes it: the files' vectors and rows, then finish."""
    index = LocalIndex(workspace, repo_id)
    for work in files:
        for chunk in work.chunks:
            chunk.repo_id = repo_id
    if forget:
        index.reconcile([], list(forget))
    index.store(list(files))
    index.finish(CHECKOUT, None, 0, 0)


def folder(workspace: Workspace) -> Path:
    return workspace.data_folder / "search-index" / collection_name(workspace.settings.model, DIM)


def rows_file(workspace: Workspace) -> Path:
    manifest = VectorIndex.open(folder(workspace), current_key(workspace)).manifest
    return folder(workspace) / f"{manifest['base']}.i8"


def current_key(workspace: Workspace) -> str:
    from pharos_desktop.engine.workspace import search_index_key

    return search_index_key(workspace.catalog.chunks_state(), workspace.vector_store_stamp(),
                            workspace.settings.model, DIM)


def assert_agrees(workspace: Workspace) -> VectorIndex:
    """The index is current and holds, per repository, exactly the catalog's chunks."""
    index = workspace.search_vectors(workspace.settings.model, DIM)
    assert VectorIndex.open(folder(workspace), current_key(workspace)) is not None
    counts = {repo_id: workspace.catalog.count_chunks(repo_id) for repo_id in (REPO, OTHER)}
    assert index.counts_by_repo() == {repo_id: n for repo_id, n in counts.items() if n}
    everything = {chunk_id for chunk_id, _ in index.query(np.ones(DIM), 10_000)}
    assert everything == workspace.catalog.chunk_ids(None)
    return index


def test_the_index_follows_ingest_re_ingest_and_removal(workspace):
    add_repos(workspace)
    ingest(workspace, REPO, [finished(f"f{n}.py", 4) for n in range(10)])
    ingest(workspace, OTHER, [finished(f"g{n}.py", 3) for n in range(10)])
    index = assert_agrees(workspace)
    assert index.counts_by_repo() == {REPO: 40, OTHER: 30}

    # One changed file: its 4 old rows dropped, its 5 new ones appended to the same files, the rest not written.
    before = rows_file(workspace).read_bytes()
    ingest(workspace, REPO, [finished("f3.py", 5, content="v2")])
    index = assert_agrees(workspace)
    assert index.manifest["last_update"] == {"appended": 5, "dropped": 4, "rebuilt": False}
    after = rows_file(workspace).read_bytes()
    assert len(after) == len(before) + 5 * DIM and after.startswith(before)
    new = finished("f3.py", 5, content="v2")
    assert index.query(new.vectors[0], 1, {"repo_id": {"$in": [REPO]}})[0][0] == new.chunks[0].chunk_id

    # A file deleted from the repository: only rows dropped.
    ingest(workspace, REPO, [], forget=["f4.py"])
    assert assert_agrees(workspace).manifest["last_update"] == {"appended": 0, "dropped": 4, "rebuilt": False}

    # The repository removed: its rows go, and the files shrink (over a quarter of the rows dead: compacted).
    size = rows_file(workspace).stat().st_size
    workspace.vectors().remove_repo(REPO)
    workspace.catalog.delete_repo(REPO)
    workspace.update_search_index(workspace.settings.model, DIM)
    index = assert_agrees(workspace)
    assert index.counts_by_repo() == {OTHER: 30}
    assert rows_file(workspace).stat().st_size == 30 * DIM < size
    assert sorted(path.suffix for path in folder(workspace).iterdir()) == [
        ".bits0", ".fields", ".i8", ".ids", ".json", ".lock", ".npy", ".scale"]  # the old files are gone


def test_removing_a_small_repository_gives_its_space_back_when_asked(workspace):
    add_repos(workspace)
    ingest(workspace, REPO, [finished(f"f{n}.py", 4) for n in range(10)])
    ingest(workspace, OTHER, [finished("g.py", 3)])
    size = rows_file(workspace).stat().st_size
    workspace.vectors().remove_repo(OTHER)
    workspace.catalog.delete_repo(OTHER)
    # 3 dead rows of 43 wait for a later compaction; after a removal the caller asks for it now
    assert workspace.update_search_index(workspace.settings.model, DIM).count() == 40
    assert rows_file(workspace).stat().st_size == size
    workspace.update_search_index(workspace.settings.model, DIM, compact=True)
    assert assert_agrees(workspace).counts_by_repo() == {REPO: 40}
    assert rows_file(workspace).stat().st_size == 40 * DIM < size


KILLED_WHILE_UPDATING = """
import sys
from types import SimpleNamespace
from pharos_desktop.engine.local_index import LocalIndex
from pharos_desktop.engine.workspace import Workspace
from tests.test_vector_index import REPO, finished
index = LocalIndex(Workspace(), REPO)
index.store([finished("f3.py", 5, content="v2"), finished("new.py", 7)])
index.finish(SimpleNamespace(uncommitted=False, commit="c0ffee", branch="main"), None, 0, 0)
"""


CATCH_UP = """
import json, numpy
from pharos_desktop.engine.workspace import Workspace
from tests.test_vector_index import DIM, finished
workspace = Workspace()
index = workspace.search_vectors(workspace.settings.model, DIM)
nearest = [index.query(work.vectors[0], 1)[0][0] == work.chunks[0].chunk_id
           for work in (finished("f3.py", 5, content="v2"), finished("new.py", 7))]
print(json.dumps({"ids": [i for i, _ in index.query(numpy.ones(DIM), 10_000)], "missing": index.missing,
                  "update": index.manifest["last_update"], "nearest": nearest}))
"""


def child(script: str) -> subprocess.CompletedProcess:
    """A process of its own, as a command-line search or an ingest is: this one's Chroma client would not see
    what another process wrote since it opened."""
    return subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("where", ["appending", "before-manifest"])
def test_a_kill_during_an_update_is_found_stale_and_caught_up(workspace, monkeypatch, where):
    add_repos(workspace)
    ingest(workspace, REPO, [finished(f"f{n}.py", 4) for n in range(10)])
    before = rows_file(workspace).stat().st_size

    monkeypatch.setenv("PHAROS_TEST_VECTOR_INDEX_KILL_AT", where)
    killed = child(KILLED_WHILE_UPDATING)
    monkeypatch.delenv("PHAROS_TEST_VECTOR_INDEX_KILL_AT")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The catalog has the new chunks; the index on disk still names the state before them, so it is not used...
    assert workspace.catalog.count_chunks(REPO) == 40 - 4 + 5 + 7
    assert VectorIndex.open(folder(workspace), current_key(workspace)) is None

    # ... and the next reader catches it up by the changes: the half-appended rows cut off, then appended again.
    caught_up = child(CATCH_UP)
    assert caught_up.returncode == 0, caught_up.stderr
    found = json.loads(caught_up.stdout)
    assert found["update"] == {"appended": 12, "dropped": 4, "rebuilt": False} and found["missing"] == 0
    assert sorted(found["ids"]) == sorted(workspace.catalog.chunk_ids(None)) and all(found["nearest"])
    assert rows_file(workspace).stat().st_size == before + 12 * DIM
    assert VectorIndex.open(folder(workspace), current_key(workspace)).counts_by_repo() == {REPO: 48}


def test_an_open_index_keeps_answering_from_its_rows_while_another_process_updates(workspace):
    """The assistants' server keeps the vectors read with its view (mcp/view.py): an update, even a compaction
    that removes the files, must not change what that index answers."""
    add_repos(workspace)
    ingest(workspace, REPO, [finished(f"f{n}.py", 4) for n in range(10)])
    held = workspace.search_vectors(workspace.settings.model, DIM)
    answers = held.query(np.ones(DIM), 100)
    workspace.vectors().remove_repo(REPO)
    workspace.catalog.delete_repo(REPO)
    Workspace(workspace.data_folder).update_search_index(workspace.settings.model, DIM)  # compacts: all rows dead
    assert held.query(np.ones(DIM), 100) == answers and len(answers) == 40


def test_a_data_folder_with_the_old_snapshot_opens_and_loses_it(workspace):
    add_repos(workspace)
    work = finished("a.py", 3)
    workspace.vectors().collection(workspace.settings.model, DIM, REPO).upsert(
        [c.chunk_id for c in work.chunks], work.vectors, [{"repo_id": REPO, "language": "python"}] * 3)
    workspace.catalog.replace_files(REPO, [(work.record, work.chunks)])
    with workspace.catalog.writing() as conn:  # a catalog from before the write counts has none
        conn.execute("DELETE FROM chunk_writes")
    old = workspace.data_folder / "search-cache" / f"{collection_name(workspace.settings.model, DIM)}.npz"
    old.parent.mkdir()
    old.write_bytes(b"the float16 copy an earlier version wrote")

    fresh = Workspace(workspace.data_folder)
    index = fresh.search_vectors(fresh.settings.model, DIM)
    assert index.count() == 3 and index.manifest["last_update"]["rebuilt"]
    assert not old.parent.exists()


def test_a_damaged_index_is_not_used_and_is_made_again(workspace):
    add_repos(workspace)
    ingest(workspace, REPO, [finished(f"f{n}.py", 4) for n in range(3)])
    key = current_key(workspace)
    manifest = folder(workspace) / "manifest.json"
    whole = manifest.read_bytes()
    for damaged in (whole[:len(whole) // 2], b"", b"[]"):
        manifest.write_bytes(damaged)
        assert VectorIndex.open(folder(workspace), key) is None
        assert assert_agrees(Workspace(workspace.data_folder)).count() == 12
    rows_file(workspace).write_bytes(b"\0" * 5)  # the rows cut short under a manifest that counts 12
    assert assert_agrees(Workspace(workspace.data_folder)).count() == 12


def test_filters_and_the_two_scans_find_the_same_nearest(tmp_path, monkeypatch):
    """Exact below EXACT_ROWS, sign bits then int8 above: both find a stored vector's own row first, and
    both apply the repository, language and kind filters."""
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(600, 64)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"{n:032x}" for n in range(600)]
    fields = [{"repo_id": f"r{n % 3}", "language": ("python", "go")[n % 2], "kind": "function"} for n in range(600)]
    with IndexWriter(tmp_path, 64) as writer:
        writer.append(ids, vectors, fields)
        index = writer.commit("key", {}, {})
    where = {"$and": [{"repo_id": {"$in": ["r1"]}}, {"language": {"$in": ["go"]}}]}
    for exact_rows in (10_000, 0):
        monkeypatch.setattr(vector_index, "EXACT_ROWS", exact_rows)
        assert [index.query(vectors[n], 1)[0][0] for n in range(0, 600, 37)] == ids[0:600:37]
        found = index.query(vectors[7], 50, where)
        assert found[0][0] == ids[7] and len(found) == 50
        assert all(int(chunk_id, 16) % 6 == 1 for chunk_id, _ in found)  # r1 and go: n % 3 == 1 and n % 2 == 1
        assert index.query(vectors[7], 5, {"kind": {"$in": ["class"]}}) == []
        assert len(index.query(vectors[7], 600)) == 600  # the filters left the live rows as they were
