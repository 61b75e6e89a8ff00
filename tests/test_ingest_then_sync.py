"""The whole product path: ingest a real repository, publish it, change it, ingest and publish again."""

from __future__ import annotations

from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.run.task import Task
from pharos_desktop.tools.sample_repos import add_commit

from .repo_factory import make_sample_repo
from .sync_support import assert_cloud_matches, make_syncer, run_sync


def test_ingested_repo_round_trips_to_the_cloud(workspace, tmp_path, cloud):
    sample = make_sample_repo(tmp_path / "sample")
    Ingestor(workspace).ingest(sample.as_uri(), task=Task("ingest"))
    first = run_sync(make_syncer(workspace, cloud))
    assert first.failed == 0 and first.created == len(workspace.catalog.files(
        workspace.catalog.list_repos()[0].repo_id, indexed_only=True))
    assert_cloud_matches(cloud, workspace.catalog)
    published = {row["identifier"] for row in cloud.resources.values()}
    assert ".env" not in published and not any(path.endswith(".pem") for path in published)

    cloud.reset_counts()
    again = run_sync(make_syncer(workspace, cloud))
    assert (again.created, again.updated, again.deleted, again.chunks) == (0, 0, 0, 0)
    assert cloud.total_requests() == cloud.count("GET", "/api/resources")

    py_files = sorted(p for p in published if p.endswith(".py"))
    add_commit(sample, {py_files[0]: "def changed():\n    return 1\n", py_files[1]: None,
                        "pkg/added.py": "def added():\n    return 2\n"}, "edit")
    Ingestor(workspace).ingest(sample.as_uri(), task=Task("ingest"))
    third = run_sync(make_syncer(workspace, cloud))
    assert (third.created, third.updated, third.deleted, third.failed) == (1, 1, 1, 0)
    # An unchanged file keeps the commit its content was published from as its coverage; everything
    # else, and every chunk, must equal the local index.
    repo = workspace.catalog.list_repos()[0]
    remote = {row["identifier"]: row for row in cloud.resources.values()}
    local = {f.path: f for f in workspace.catalog.files(repo.repo_id, indexed_only=True)}
    assert set(remote) == set(local)
    assert remote[py_files[0]]["coverage"] == remote["pkg/added.py"]["coverage"] == repo.commit
    for path, row in remote.items():
        assert len(cloud.chunks[row["id"]]) == local[path].chunk_count
    contents = [c["content"] for c in cloud.chunks[remote[py_files[0]]["id"]]]
    assert contents == [c.summary for c in workspace.catalog.chunks_for_file(repo.repo_id, py_files[0])]
