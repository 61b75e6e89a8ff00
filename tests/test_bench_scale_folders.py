"""bench/scale_folders.py grows a data folder from a real ingest: what it writes must be what an ingest
leaves, so that the scale benchmark measures a folder the app would make (and a new store can build
itself from it). Per repository, the catalog's chunks and Chroma's vectors are the same ids; replicas'
vectors are near their originals but not equal; and the search copy written last is current."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from bench import scale_folders
from pharos_desktop.engine.index.vector_index import VectorIndex
from pharos_desktop.engine.index.vectors import collection_name
from pharos_desktop.engine.workspace import Workspace, search_index_key

from .cli_support import cli
from .repo_factory import make_sample_repo

pytestmark = pytest.mark.slow


def test_a_grown_folder_agrees_with_itself_repository_by_repository(tmp_path, pharos_home):
    seed_home = tmp_path / "seed-home"
    sample = make_sample_repo(tmp_path / "sample")
    done = cli("ingest", str(sample), home=seed_home, timeout=900)  # may make the model graph first
    assert done.returncode == 0, done.stderr
    seeds = scale_folders.read_seeds([seed_home], work=tmp_path / "seeds")
    assert [seed.repo.name for seed in seeds] == ["sample"]
    seed = seeds[0]
    real = tmp_path / "real" / "sample"  # ingested for real last, in place of the seed's own copy
    shutil.copytree(sample, real)

    size = 2 * seed.size + seed.size // 2  # the real ingest, a replica, and half of one
    made = scale_folders.build(size, tmp_path / "scale", seeds, log=lambda line: None, real=real, models=None)

    assert scale_folders.built(size, tmp_path / "scale") == made
    workspace = Workspace(scale_folders.home_of(size, tmp_path / "scale"))
    repos = workspace.catalog.list_repos()
    assert sorted(repo.name for repo in repos) == ["sample", "sample-replica0001", "sample-replica0002"]
    collections = {repo.repo_id: workspace.vectors().collection(seed.repo.model, seed.repo.dim, repo.repo_id)
                   for repo in repos}
    for repo in repos:
        assert repo.state == "ready" and repo.chunks > 0
        assert workspace.catalog.chunk_ids(repo.repo_id) == collections[repo.repo_id].ids(), repo.name
    counts = {repo.name: repo.chunks for repo in repos}
    counts_by_id = {repo.repo_id: repo.chunks for repo in repos}
    assert counts["sample-replica0001"] == seed.size
    assert counts["sample-replica0002"] == _whole_files_under(seed, seed.size // 2) > 0  # the last one, cut
    assert made["chunks"] == sum(counts.values()) == sum(c.count() for c in collections.values()) \
        == workspace.catalog.count_chunks()

    replica = next(repo for repo in repos if repo.name == "sample-replica0001")
    first = next(path for path, chunks in seed.chunks.items() if chunks)
    original = np.stack([seed.vectors[c.chunk_id] for c in seed.chunks[first]])
    copied_ids = [c.chunk_id for c in workspace.catalog.chunks_for_file(replica.repo_id, first)]
    rows = collections[replica.repo_id]._collection.get(ids=copied_ids, include=["embeddings"])
    copied = np.asarray(rows["embeddings"])[[rows["ids"].index(i) for i in copied_ids]]
    assert np.allclose(np.linalg.norm(copied, axis=1), 1.0, atol=1e-4)
    cosines = np.sum(copied * original, axis=1) / np.linalg.norm(original, axis=1)
    assert np.all(cosines > 0.95) and np.all(cosines < 0.9999)

    # The real ingest came last and brought the search index up to date: a search from a fresh process reads it
    # as it is, every chunk of every repository, replicas included.
    key = search_index_key(workspace.catalog.chunks_state(), workspace.vector_store_stamp(), seed.repo.model,
                           seed.repo.dim)
    index = VectorIndex.open(workspace.data_folder / "search-index" / collection_name(seed.repo.model, seed.repo.dim),
                             key)
    assert index is not None and index.count() == made["chunks"] and index.missing == 0
    assert index.counts_by_repo() == counts_by_id


def _whole_files_under(seed, budget: int) -> int:
    """How many chunks of the seed's files, in order, fit whole in the budget: what a cut replica holds."""
    taken = 0
    for record in seed.files:
        chunks = len(seed.chunks.get(record.path, [])) if record.skip_reason is None else 0
        if taken + chunks > budget:
            break
        taken += chunks
    return taken
