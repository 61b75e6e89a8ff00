"""A changed file's chunks whose text did not change keep their vectors (LocalIndex.earlier_vectors, issue 26): an
edit to one function of a file embeds that function, not the whole file again. Only where the model and runtime
about to embed made the repository's vectors: another runtime's vectors are never mixed in as this one's. Real git
repository, the bundled model, Chroma on disk."""

from __future__ import annotations

import numpy as np

from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.states import RepoState
from pharos_desktop.tools.sample_repos import add_commit

from .repo_factory import make_sample_repo
from .test_ingest import assert_consistent

ADDED = "\n\ndef reuse_probe_added(value):\n    \"\"\"Doubles the value for the probe.\"\"\"\n    return value * 2\n"


def ingest(workspace, source):
    return Ingestor(workspace).ingest(str(source), task=Task("ingest", lambda _event: None, CancelToken()))


def vectors_by_text(workspace, repo_id: str, path: str) -> dict[str, np.ndarray]:
    chunks = workspace.catalog.chunks_for_file(repo_id, path)
    embedder = workspace.embedder()
    collection = workspace.vectors().collection(embedder.name, embedder.dim, repo_id)
    found = {chunk_id: np.asarray(vector, dtype="float32") for ids, vectors, _ in
             collection.pages_of([c.chunk_id for c in chunks]) for chunk_id, vector in zip(ids, vectors)}
    assert len(found) == len(chunks)
    return {chunk.embedded_text: found[chunk.chunk_id] for chunk in chunks}


def largest_python_file(workspace, repo_id: str) -> str:
    files = [f for f in workspace.catalog.files(repo_id, indexed_only=True) if f.path.endswith(".py")]
    return max(files, key=lambda f: f.chunk_count).path


def edit(sample, path: str) -> None:
    add_commit(sample, {path: (sample / path).read_text(encoding="utf-8") + ADDED}, "one function added")


def test_an_edit_to_one_function_embeds_only_the_chunks_whose_text_changed(workspace, tmp_path):
    sample = make_sample_repo(tmp_path / "sample")
    first = ingest(workspace, sample)
    path = largest_python_file(workspace, first.repo_id)
    before = vectors_by_text(workspace, first.repo_id, path)
    assert len(before) >= 2

    edit(sample, path)
    second = ingest(workspace, sample)

    after = vectors_by_text(workspace, first.repo_id, path)
    new_texts = [text for text in after if text not in before]
    assert any("reuse_probe_added" in text for text in new_texts)
    assert second.embedded == len(new_texts) < len(after)
    for text, vector in after.items():  # the kept chunks: the vectors they had (Chroma's cosine index normalises
        if text in before:               # what it holds again: the last bit may move)
            assert np.abs(vector - before[text]).max() < 1e-6
    # and what the model makes of those texts now (another batch, other padding): the same to 1e-4 with OpenVINO's
    # calibrated scales; ONNX's int8 graph scales each batch's activations by the batch (docs/benchmarks.md: 0.991
    # at worst), so there, close
    embedder = workspace.embedder()
    fresh = embedder.embed_documents(list(after))
    cosines = [float(np.dot(made, after[text])) for text, made in zip(after, fresh)]
    assert min(cosines) >= (0.9999 if embedder.made_by == "openvino-int8" else 0.98), cosines
    assert_consistent(workspace, first.repo_id)
    assert workspace.catalog.find_repo(first.repo_id).runtime == workspace.embedder().made_by


def test_vectors_another_runtime_made_are_not_kept_as_this_ones(workspace, tmp_path):
    sample = make_sample_repo(tmp_path / "sample")
    first = ingest(workspace, sample)
    path = largest_python_file(workspace, first.repo_id)
    chunks_before = len(workspace.catalog.chunks_for_file(first.repo_id, path))
    workspace.catalog.set_repo_state(first.repo_id, RepoState.READY, runtime="torch-fp32")  # as if torch made them

    edit(sample, path)
    second = ingest(workspace, sample)

    assert second.embedded == chunks_before + 1  # the whole file again, by this runtime
    made_by = workspace.embedder().made_by
    assert workspace.catalog.find_repo(first.repo_id).runtime == "+".join(sorted({made_by, "torch-fp32"}))
    assert_consistent(workspace, first.repo_id)


def test_a_kept_chunk_whose_vector_the_store_lost_is_embedded_again(workspace, tmp_path):
    sample = make_sample_repo(tmp_path / "sample")
    first = ingest(workspace, sample)
    path = largest_python_file(workspace, first.repo_id)
    chunks_before = workspace.catalog.chunks_for_file(first.repo_id, path)
    embedder = workspace.embedder()
    workspace.vectors().collection(embedder.name, embedder.dim, first.repo_id).delete_ids([chunks_before[0].chunk_id])

    edit(sample, path)
    second = ingest(workspace, sample)

    new_texts = {c.embedded_text for c in workspace.catalog.chunks_for_file(first.repo_id, path)} - {
        c.embedded_text for c in chunks_before}
    assert second.embedded == len(new_texts) + 1
    assert_consistent(workspace, first.repo_id)
