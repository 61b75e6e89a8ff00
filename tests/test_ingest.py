"""Ingestion end to end: real git repos, the real parser, the bundled model, Chroma on disk."""

from __future__ import annotations

import threading
from contextlib import closing
from pathlib import Path

import pytest

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.errors import Cancelled, SourceError
from pharos_desktop.engine.run.events import FileSkipped, JobCancelled, JobFinished, StageProgress
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.model.embedder import bundled_model_path, cpu_graph_runtime
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.query.search import SearchFilters, Searcher
from pharos_desktop.tools.sample_repos import add_commit, make_package_repo

from .repo_factory import make_sample_repo


def ingest(workspace, source, branch=None, cancel=None):
    events = []
    task = Task("ingest", events.append, cancel or CancelToken())
    result = Ingestor(workspace).ingest(str(source), branch, task=task)
    return result, events


def vector_ids(workspace, repo_id):
    embedder = workspace.embedder()
    with closing(workspace.vectors().repo_vectors(embedder.name, embedder.dim, repo_id)) as vectors:
        return vectors.ids()


def assert_consistent(workspace, repo_id):
    """Catalog and vectors hold exactly the same chunks, once each."""
    catalog_ids = workspace.catalog.chunk_ids(repo_id)
    assert catalog_ids == vector_ids(workspace, repo_id)
    assert len(catalog_ids) == workspace.catalog.count_chunks(repo_id)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return make_sample_repo(tmp_path / "sample")


def test_ingest_clone_of_sample_repo(workspace, sample):
    result, events = ingest(workspace, sample.as_uri())
    repo = workspace.catalog.get_repo(result.repo_id)
    assert result.commit and len(result.commit) == 40
    assert result.files == repo.files > 5 and result.chunks == repo.chunks > 10
    assert result.embedded == result.chunks
    assert isinstance(events[-1], JobFinished)
    stages = {e.stage for e in events if isinstance(e, StageProgress)}
    assert {"clone", "scan", "parse", "embed", "store"} <= stages
    indexed = {f.path for f in workspace.catalog.files(result.repo_id, indexed_only=True)}
    skipped = {f.path: f.skip_reason for f in workspace.catalog.files(result.repo_id) if f.skip_reason}
    assert ".env" in skipped and skipped[".env"] == "secret"
    assert not any(path.endswith((".pem", ".env")) or "id_rsa" in path for path in indexed)
    assert any(reason == "binary" for reason in skipped.values())
    assert any(reason == "too large" for reason in skipped.values())
    assert result.skipped == len(skipped) == sum(result.skipped_reasons.values())
    assert {e.path for e in events if isinstance(e, FileSkipped)} <= set(skipped)
    assert any("日本語" in path for path in indexed)
    assert_consistent(workspace, result.repo_id)


def test_reingest_unchanged_embeds_nothing_and_keeps_counts(workspace, sample):
    first, _ = ingest(workspace, sample.as_uri())
    second, _ = ingest(workspace, sample.as_uri())
    assert second.embedded == 0
    assert (second.files, second.chunks, second.skipped) == (first.files, first.chunks, first.skipped)
    assert_consistent(workspace, first.repo_id)


def test_reingest_applies_changes_added_and_deleted_files(workspace, sample):
    first, _ = ingest(workspace, sample.as_uri())
    before = {f.path: f for f in workspace.catalog.files(first.repo_id, indexed_only=True)}
    py_files = sorted(p for p in before if p.endswith(".py"))
    changed, deleted = py_files[0], py_files[1]
    add_commit(sample, {
        changed: "def renamed_entry_point(flag):\n    \"\"\"Completely new body.\"\"\"\n    return not flag\n",
        deleted: None,
        "pkg/brand_new.py": "def freshly_added_helper():\n    return 42\n",
    }, "change, delete, add")
    second, _ = ingest(workspace, sample.as_uri())
    after = {f.path: f for f in workspace.catalog.files(first.repo_id, indexed_only=True)}
    assert deleted not in after and "pkg/brand_new.py" in after
    assert after[changed].content_hash != before[changed].content_hash
    symbols = [c.symbol for c in workspace.catalog.chunks_for_file(first.repo_id, changed)]
    assert "renamed_entry_point" in symbols
    assert 0 < second.embedded < first.embedded
    assert_consistent(workspace, first.repo_id)
    hits = Searcher(workspace).search("freshly added helper", limit=5)
    assert hits[0].symbol == "freshly_added_helper"
    assert all(hit.path != deleted for hit in Searcher(workspace).search("anything at all", limit=50))


def test_cancel_then_resume_finishes_without_duplicates(workspace, tmp_path):
    repo = make_package_repo(tmp_path / "httpx-repo", "httpx")
    cancel = CancelToken()
    stored = threading.Event()
    events = []

    def watch(event):
        events.append(event)
        if isinstance(event, StageProgress) and event.stage == "store" and event.done > 0:
            stored.set()
            cancel.cancel()

    with pytest.raises(Cancelled):
        Ingestor(workspace).ingest(str(repo), task=Task("ingest", watch, cancel))
    assert isinstance(events[-1], JobCancelled)
    repo_id = workspace.catalog.list_repos()[0].repo_id
    partial = workspace.catalog.count_chunks(repo_id)
    assert workspace.catalog.list_repos()[0].state == "interrupted"
    assert [job.repo_id for job in workspace.jobs.resumable()] == [repo_id]
    result, events = ingest(workspace, repo)
    assert partial > 0  # the cancel came after the first stored file
    assert result.embedded == result.chunks - partial  # the resume embeds only what was not stored
    assert_consistent(workspace, repo_id)
    assert workspace.catalog.list_repos()[0].state == "ready"


def test_cancel_lands_within_a_second(workspace, tmp_path):
    repo = make_package_repo(tmp_path / "httpx-repo", "httpx")
    cancel = CancelToken()
    embedding = threading.Event()

    def watch(event):
        if isinstance(event, StageProgress) and event.stage == "embed" and event.done > 0:
            embedding.set()

    outcome = {}

    def run():
        try:
            Ingestor(workspace).ingest(str(repo), task=Task("ingest", watch, cancel))
        except Cancelled as exc:
            outcome["cancelled"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    assert embedding.wait(120)
    cancel.cancel()
    worker.join(timeout=5)  # generous on a loaded CI machine; the benchmark measures the real figure
    assert not worker.is_alive() and "cancelled" in outcome


def test_bad_sources_fail_clearly(workspace, tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        ingest(workspace, tmp_path / "nowhere")
    with pytest.raises(SourceError):
        ingest(workspace, "ext::sh -c touch% /tmp/pwned")


def test_search_filters_and_modes(workspace, tmp_path):
    repo = make_package_repo(tmp_path / "httpx-repo", "httpx", limit=6)
    result, _ = ingest(workspace, repo)
    searcher = Searcher(workspace)
    for mode in ("hybrid", "vector", "keyword"):
        hits = searcher.search("send a request with basic authentication", limit=5, mode=mode)
        assert hits and all(hit.repo_id == result.repo_id for hit in hits)
    only_classes = searcher.search("http client", limit=10, filters=SearchFilters(kinds=["class"]))
    assert only_classes and all(hit.kind == "class" for hit in only_classes)
    assert {"Client", "AsyncClient"} & {hit.symbol for hit in only_classes}
    glob = searcher.search("transport", limit=10, filters=SearchFilters(path_glob="httpx/_*"))
    assert glob and all(hit.path.startswith("httpx/_") for hit in glob)
    assert searcher.search("option", filters=SearchFilters(repo_ids=["nope"])) == []
    assert searcher.search("option", filters=SearchFilters(languages=["rust"])) == []


def test_chroma_server_mode(tmp_path, monkeypatch, chroma_server):
    monkeypatch.setenv("PHAROS_CHROMA_URL", chroma_server)
    from pharos_desktop.engine.workspace import Workspace

    workspace = Workspace()
    sample = make_sample_repo(tmp_path / "sample")
    result, _ = ingest(workspace, sample)
    assert workspace.vectors().where == chroma_server
    assert_consistent(workspace, result.repo_id)
    assert Searcher(workspace).search("secret handling", limit=3, mode="vector")


def test_killed_process_leaves_a_consistent_index_that_resumes(workspace, tmp_path, pharos_home):
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    repo = make_package_repo(tmp_path / "httpx-repo", "httpx", limit=12)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_") or k == "PHAROS_MODEL_CACHE"}
    env["PHAROS_HOME"] = str(pharos_home)
    process = subprocess.Popen([sys.executable, "-m", "pharos_desktop", "ingest", str(repo)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    catalog_file = pharos_home / "catalog.sqlite"
    deadline = time.monotonic() + 180
    stored = 0
    while time.monotonic() < deadline and process.poll() is None:
        if catalog_file.exists():
            try:
                with sqlite3.connect(catalog_file, timeout=1) as conn:
                    stored = conn.execute("SELECT COUNT(*) FROM files WHERE chunk_count > 0").fetchone()[0]
            except sqlite3.OperationalError:
                stored = 0
        if stored:
            break
        time.sleep(0.1)
    assert stored, "the ingest stored nothing before the deadline"
    process.send_signal(signal.SIGKILL)
    process.wait()

    result, _ = ingest(workspace, repo)
    assert result.files == 12 and result.embedded < result.chunks
    assert_consistent(workspace, result.repo_id)
    for record in workspace.catalog.files(result.repo_id, indexed_only=True):
        assert record.chunk_count == len(workspace.catalog.chunks_for_file(result.repo_id, record.path)) > 0


def test_unchanged_reingest_with_skipped_files_needs_no_model_or_vector_store(workspace, sample):
    """Files skipped for what they hold (binary, unsupported) are not read again while unchanged, so a
    repository with nothing to embed never loads the model or opens Chroma (seconds each)."""
    from pharos_desktop.engine.workspace import Workspace

    first, _ = ingest(workspace, sample.as_uri())
    assert {"binary", "unsupported type"} <= set(first.skipped_reasons)
    fresh = Workspace(workspace.data_folder, workspace.settings)
    second, _ = ingest(fresh, sample.as_uri())
    assert second.embedded == 0 and second.skipped == first.skipped
    assert fresh._embedder is None and fresh._vectors is None
    assert workspace.catalog.find_repo(first.repo_id).runtime == workspace.embedder().made_by == \
        cpu_graph_runtime(str(bundled_model_path()))

