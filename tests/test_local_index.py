"""The local index of one repository, on a real catalog and a real Chroma on disk: what it stores, forgets
and skips leaves vectors and catalog rows agreeing; a process killed between the vectors and the rows is
reconciled by the next run; a model switch re-embeds everything into the new model's collection."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from pharos_desktop.engine.index.catalog import ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.model.embedder import bundled_model_path
from pharos_desktop.engine.files.scan import FileEntry
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.local_index import FileWork, LocalIndex
from pharos_desktop.engine.pipeline import chunk_id
from pharos_desktop.engine.query.search import Searcher
from pharos_desktop.engine.settings import Settings
from pharos_desktop.engine.workspace import Workspace

from .repo_factory import make_sample_repo

REPO = "0123456789abcdef"
DIM = 8  # small vectors written directly: these tests need no model


def finished(path: str, chunks: int, content: str = "v1") -> FileWork:
    """A file as the pipeline hands it over: parsed and embedded."""
    digest = f"{path}-{content}"
    records = [ChunkRecord(chunk_id(REPO, path, digest, n), REPO, path, n, "function", f"f{n}", "python",
                           n * 3 + 1, n * 3 + 3, "", f"f{n} does {content}", [], f"def f{n}():\n    pass\n",
                           f"f{n} {content}") for n in range(chunks)]
    vectors = np.random.default_rng(chunks).random((chunks, DIM), dtype="float32")
    return FileWork(FileRecord(path, "python", 10, 1, digest, None, chunks), records, vectors)


def skipped(path: str, reason: str) -> FileWork:
    return FileWork(FileRecord(path, None, 10, 1, "", reason))


def add_repo(workspace: Workspace, model: str | None = None, state: str = "ready") -> None:
    workspace.catalog.upsert_repo(RepoRecord(REPO, "demo", "/src/demo", "local",
                                             model=model or workspace.settings.model, dim=DIM, state=state))


def vector_ids(workspace: Workspace, model: str | None = None) -> set[str]:
    collection = workspace.vectors().existing_collection(model or workspace.settings.model, DIM, REPO)
    return collection.ids() if collection is not None else set()


def assert_agree(workspace: Workspace) -> set[str]:
    stored = workspace.catalog.chunk_ids(REPO)
    assert vector_ids(workspace) == stored
    return stored


def test_store_forget_and_skip_keep_vectors_and_rows_agreeing(workspace):
    add_repo(workspace)
    LocalIndex(workspace, REPO).store([finished("a.py", 3), finished("b.py", 2), skipped("c.bin", "binary")])
    assert len(assert_agree(workspace)) == 5
    assert workspace.catalog.file_states(REPO)["c.bin"].skip_reason == "binary"

    index = LocalIndex(workspace, REPO)  # the next run: a.py changed, b.py deleted, c.bin still skipped
    index.reconcile([], ["b.py"])
    index.store([finished("a.py", 1, content="v2")])
    assert assert_agree(workspace) == {c.chunk_id for c in finished("a.py", 1, content="v2").chunks}
    assert set(workspace.catalog.file_states(REPO)) == {"a.py", "c.bin"}

    index = LocalIndex(workspace, REPO)  # a.py now holds a secret: skipped, and out of the vectors
    index.reconcile([("a.py", "secret"), ("c.bin", "binary")], [])
    assert assert_agree(workspace) == set()
    assert {p: r.skip_reason for p, r in workspace.catalog.file_states(REPO).items()} == {"a.py": "secret",
                                                                                           "c.bin": "binary"}


KILLED_WHILE_STORING = """
import os, signal, sys
from pharos_desktop.engine.local_index import LocalIndex
from pharos_desktop.engine.workspace import Workspace
from tests.test_local_index import REPO, finished
die = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
LocalIndex(Workspace(), REPO).store([finished("a.py", 2)])
index = LocalIndex(Workspace(), REPO)  # the next run
if sys.argv[1] == "before the rows":  # b.py's vectors are written, its rows never
    index.catalog.replace_files = die
    index.store([finished("b.py", 3)])
else:  # a.py changed: its old vectors are gone, its new ones never written, its old rows still there
    index.collection().upsert = die
    index.store([finished("a.py", 3, content="v2")])
"""


def kill_while_storing(where: str) -> None:
    child = subprocess.run([sys.executable, "-c", KILLED_WHILE_STORING, where], cwd=Path(__file__).parents[1],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr


def test_a_process_killed_between_vectors_and_rows_is_reconciled_by_the_next_run(workspace):
    add_repo(workspace, state="ingesting")
    kill_while_storing("before the rows")
    stored = workspace.catalog.chunk_ids(REPO)
    assert stored == {c.chunk_id for c in finished("a.py", 2).chunks}  # b.py never reached the catalog
    assert len(vector_ids(workspace)) == 5  # but its vectors reached Chroma
    workspace.catalog.set_repo_state(REPO, "interrupted")  # what the next start finds for a dead job

    assert LocalIndex(workspace, REPO).reconcile() == (True, 2, 3, 0, 0)  # resumed, stored, dropped, lacking, redo
    assert assert_agree(workspace) == stored
    # A run that finished into the same vector store leaves nothing to reconcile (finish records the store).
    workspace.catalog.set_repo_state(REPO, "ready", vectors_stamp=workspace.vector_store_stamp(REPO))
    assert LocalIndex(workspace, REPO).reconcile() is None


def test_a_file_killed_between_its_old_and_new_vectors_is_read_again(workspace):
    add_repo(workspace, state="ingesting")
    kill_while_storing("before the new vectors")
    assert len(workspace.catalog.chunk_ids(REPO)) == 2 and vector_ids(workspace) == set()
    workspace.catalog.set_repo_state(REPO, "interrupted")

    index = LocalIndex(workspace, REPO)
    assert index.reconcile() == (True, 2, 0, 2, 1)
    assert assert_agree(workspace) == set() and workspace.catalog.file_states(REPO) == {}
    # Even with the old bytes back on disk (the edit undone), the file is read and embedded again.
    on_disk = FileEntry("a.py", Path("a.py"), 10, 1)
    assert index.plan([on_disk]) == ([on_disk], 0)


def test_switching_the_model_drops_the_old_vectors_and_rows(workspace):
    old_model = "an-older-model"
    add_repo(workspace, model=old_model)
    old = workspace.vectors().collection(old_model, DIM, REPO)
    work = finished("a.py", 2)
    old.upsert([c.chunk_id for c in work.chunks], work.vectors, [{"repo_id": REPO, "path": "a.py"}] * 2)
    workspace.catalog.replace_files(REPO, [(work.record, work.chunks)])

    index = LocalIndex(workspace, REPO)
    assert index.model_changed and not index.knows_model
    assert index.reconcile() is None
    assert workspace.vectors().existing_collection(old_model, DIM, REPO) is None
    assert workspace.catalog.file_states(REPO) == {}
    assert index.plan([]) == ([], 0)
    # Stopped here, the next run starts as a first run of the new model, not as another switch.
    assert workspace.catalog.find_repo(REPO).model == ""
    again = LocalIndex(workspace, REPO)
    assert not again.model_changed and not again.knows_model


def test_a_model_switch_re_embeds_every_file_into_the_new_models_collection(tmp_path, pharos_home):
    sample = make_sample_repo(tmp_path / "sample")
    first = Workspace(pharos_home)
    before = Ingestor(first).ingest(str(sample), task=Task("ingest"))
    old_model = first.catalog.find_repo(before.repo_id).model

    # The same weights named by their folder: another model name, so another collection.
    other = str(bundled_model_path())
    switched = Workspace(pharos_home, Settings(model=other))
    events = []
    after = Ingestor(switched).ingest(str(sample), task=Task("ingest", events.append))
    assert after.embedded == after.chunks == before.chunks and after.reused == 0
    assert any("model changed" in getattr(event, "text", "") for event in events)
    repo = switched.catalog.find_repo(before.repo_id)
    assert (repo.model, repo.dim) == (other, 384)
    assert switched.vectors().existing_collection(old_model, 384, before.repo_id) is None
    assert switched.vectors().collection(other, 384, before.repo_id).ids() == \
        switched.catalog.chunk_ids(before.repo_id)
    hits = Searcher(switched).search("redact secrets before logging", limit=5, mode="vector")
    assert any(hit.symbol == "redact_secrets" for hit in hits)
