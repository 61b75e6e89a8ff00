"""A new user's first ingest (issue 26): with no int8 graph made yet, the ingest does not wait for its export (a
minute on a busy CPU). torch stands in while a process of its own makes the graph, below normal priority, and
outlives the command; once the graph is made, the next load uses it, and the repository records both makers."""

from __future__ import annotations

import time

import pytest

from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.model import embedder as embedder_module
from pharos_desktop.engine.model import graphs
from pharos_desktop.engine.model.embedder import Embedder, bundled_model_path, cpu_graph_runtime, prepare_graph
from pharos_desktop.engine.model.export import make_in_background
from pharos_desktop.engine.query.search import Searcher
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.settings import Settings
from pharos_desktop.engine.workspace import Workspace
from pharos_desktop.tools.sample_repos import add_commit

from .repo_factory import make_sample_repo

pytestmark = pytest.mark.slow


def test_the_first_ingest_does_not_wait_for_the_graph(tmp_path, pharos_home, monkeypatch):
    cache = tmp_path / "empty-model-cache"
    monkeypatch.setenv("PHAROS_MODEL_CACHE", str(cache))
    monkeypatch.setattr(embedder_module, "_cache", {})  # this process's models, loaded by earlier tests: a new user has none
    model = str(bundled_model_path())
    runtime = cpu_graph_runtime(model)
    sample = make_sample_repo(tmp_path / "sample")
    workspace = Workspace(pharos_home, Settings())

    first = Ingestor(workspace).ingest(str(sample), task=Task("ingest"))
    assert first.chunks > 0
    assert workspace.catalog.find_repo(first.repo_id).runtime == "torch-fp32", "torch stood in for the graph"
    assert graphs.cached_graph(model, cache, runtime) is None, "the graph is still being made, elsewhere"
    assert not make_in_background(model, cache, runtime), "one process makes it; a second start waits its turn"
    hits = Searcher(workspace).search("hide passwords and tokens in a string", limit=3, mode="vector")
    assert hits[0].symbol == "redact_secrets", "search works meanwhile, its queries made by the stand-in too"

    deadline = time.monotonic() + 580  # the export itself: generous, it is not what this test measures
    while graphs.cached_graph(model, cache, runtime) is None and time.monotonic() < deadline:
        time.sleep(1)
    assert graphs.cached_graph(model, cache, runtime) is not None, "the background process made the graph"
    assert not prepare_graph(Settings()), "made: nothing more to start"

    assert Embedder.load(Settings()).made_by == runtime and not workspace.embedder().waits_for
    add_commit(sample, {"pkg/brand_new.py": "def freshly_added_helper():\n    return 42\n"}, "add")
    Ingestor(workspace).ingest(str(sample), task=Task("ingest"))
    assert workspace.catalog.find_repo(first.repo_id).runtime == f"{runtime}+torch-fp32"
    assert Searcher(workspace).search("freshly added helper", limit=3, mode="vector")[0].symbol == \
        "freshly_added_helper"
    assert Searcher(workspace).search("hide passwords and tokens in a string", limit=3, mode="vector")[0].symbol \
        == "redact_secrets", "the graph's queries find the stand-in's vectors"
