"""Sync against the fake cloud over real HTTP, with a real catalog: first sync, no-change re-sync, changes."""

from __future__ import annotations

import uuid

import keyring

from pharos_desktop.engine.run.events import JobFinished, StageMessage, StageProgress, SyncSummary
from pharos_desktop.engine.states import SyncStanding
from pharos_desktop.engine.sync import Syncer
from tests.sync_support import HOSTED, LOCAL, assert_cloud_matches, expected_url, make_syncer, put_file, run_sync


def test_first_sync_publishes_every_indexed_file(index, cloud):
    events: list = []
    summary = run_sync(make_syncer(index, cloud), events=events)
    notice = summary.notice
    assert summary == SyncSummary(created=20, chunks=49, notice=notice)
    assert_cloud_matches(cloud, index.catalog)
    # 20 files, 10 queue slots: the last 10 creates made their rows but answered 500; each was found
    # (one newest-first lookup) instead of being retried. Every row a create returned had its chunk count
    # checked before chunks went to it: a 202 does not say the row is new.
    assert notice.startswith("Your files are published") and "10 of the files" in notice
    assert cloud.count("POST", "/api/resources") == 20 and cloud.count("PUT", "/api/resources/{id}") == 20
    assert cloud.count("GET", "/api/resources") == 1 + 10
    assert cloud.count("GET", "/chunks") == 20
    assert cloud.count("POST", "/chunks") == 49
    creates = [body for method, path, body in cloud.log if method == "POST" and path == "/api/resources"]
    assert all("source" not in body for body in creates)
    assert not any(".env" in str(body) or "big.bin" in str(body) for _, _, body in cloud.log)  # skipped stay local
    assert all("limit=100" in path or "sort_dir=desc" in path for method, path, _ in cloud.log if method == "GET"
               and "/api/resources" in path)
    uploads = [e for e in events if isinstance(e, StageProgress) and e.stage == "upload"]
    assert uploads[-1].done == uploads[-1].total == 20 and uploads[-1].unit == "files"
    assert any("49 chunks" in e.text for e in events if isinstance(e, StageMessage))
    assert any(e.text == notice for e in events if isinstance(e, StageMessage))
    assert isinstance(events[-1], JobFinished)


def test_a_drained_queue_needs_no_lookups(index, cloud):
    cloud.max_queue = 1000  # as if a worker kept the queue short
    summary = run_sync(make_syncer(index, cloud))
    assert (summary.created, summary.failed, summary.notice) == (20, 0, "")
    # no lookup of the listing; one chunk count per create, since a 202 does not say the row is new
    assert cloud.count("GET", "/api/resources") == 1 and cloud.count("GET", "/chunks") == 20
    assert_cloud_matches(cloud, index.catalog)


def test_no_change_resync_costs_only_the_listing(index, cloud):
    syncer = make_syncer(index, cloud)
    run_sync(syncer)
    cloud.reset_counts()
    summary = run_sync(syncer)
    assert summary.unchanged == 20 and summary.created == summary.updated == summary.chunks == 0
    assert dict(cloud.counts) == {("GET", "/api/resources"): 1}
    # a new commit without content changes is not a change either
    index.catalog.upsert_repo(HOSTED.__class__(**{**HOSTED.__dict__, "commit": "e" * 40}))
    cloud.reset_counts()
    assert run_sync(make_syncer(index, cloud)).unchanged == 20 and cloud.total_requests() == 1


def test_listing_is_paged_and_leaves_other_resources_alone(index, cloud):
    with cloud.lock:  # 230 resources the user made elsewhere
        for n in range(230):
            rid = str(uuid.uuid4())
            cloud.resources[rid] = {"id": rid, "url": f"https://example.com/{n}", "source": f"https://example.com/{n}",
                                    "title": "x", "description": "", "type": "code_file", "language": "python",
                                    "ingestion_status": "completed", "created_at": "2026-01-01T00:00:00", "_order": 0}
            cloud.chunks[rid] = []
    syncer = make_syncer(index, cloud)
    run_sync(syncer)
    cloud.reset_counts()
    run_sync(syncer)
    assert cloud.count("GET", "/api/resources") == 3  # 250 rows, 100 a page
    assert len(cloud.resources) == 250


def test_changed_added_and_deleted_files(index, cloud):
    syncer = make_syncer(index, cloud)
    run_sync(syncer)
    old_id = next(r["id"] for r in cloud.resources.values() if r["identifier"] == "src/pkg/mod_01.py")
    put_file(index.catalog, HOSTED.repo_id, "src/pkg/mod_01.py", version="v2", chunks=5)
    put_file(index.catalog, LOCAL.repo_id, "notes/new.go", language="go", chunks=2)
    index.catalog.delete_files(HOSTED.repo_id, ["setup.py"])
    assert syncer.status.repo(HOSTED.repo_id).status == "pending"
    assert syncer.status.repo(HOSTED.repo_id).changes == 2
    cloud.reset_counts()
    summary = run_sync(syncer)
    assert (summary.created, summary.updated, summary.deleted, summary.unchanged) == (1, 1, 1, 18)
    assert summary.chunks == 7
    assert old_id not in cloud.resources
    assert cloud.count("DELETE", "/api/resources/{id}") == 2 and cloud.count("POST", "/chunks") == 7
    assert_cloud_matches(cloud, index.catalog)
    assert syncer.status.repo(HOSTED.repo_id).status == "synced"


def test_resource_deleted_on_the_server_is_created_again(index, cloud):
    syncer = make_syncer(index, cloud)
    run_sync(syncer)
    with cloud.lock:
        rid = next(r["id"] for r in cloud.resources.values() if r["identifier"] == "README.md")
        del cloud.resources[rid], cloud.chunks[rid]
    summary = run_sync(syncer)
    assert (summary.created, summary.unchanged) == (1, 19)
    assert_cloud_matches(cloud, index.catalog)


def test_half_finished_upload_is_repaired(index, cloud):
    syncer = make_syncer(index, cloud)
    run_sync(syncer)
    url = expected_url(HOSTED, "src/pkg/mod_02.py")
    with cloud.lock:  # the earlier run died after the first chunk of this file
        rid = next(r["id"] for r in cloud.resources.values() if r["source"] == url)
        del cloud.chunks[rid][1:]
    syncer.state.begin(HOSTED.repo_id, "src/pkg/mod_02.py", url, "whatever")
    assert syncer.status.files(HOSTED.repo_id)["src/pkg/mod_02.py"].status == "pending"
    summary = run_sync(syncer)
    assert (summary.updated, summary.unchanged) == (1, 19)
    assert_cloud_matches(cloud, index.catalog)


def test_send_source_setting_republishes_with_code(index, cloud):
    syncer = make_syncer(index, cloud)
    run_sync(syncer)
    index.settings.sync_send_source = True
    summary = run_sync(syncer)
    assert summary.updated == 20
    assert_cloud_matches(cloud, index.catalog, send_source=True)


def test_one_repository_and_removed_repository(index, cloud):
    syncer = make_syncer(index, cloud)
    assert syncer.status.repo(LOCAL.repo_id).status == SyncStanding.NOT_SYNCED
    assert run_sync(syncer, repo="notes").created == 6
    assert len(cloud.resources) == 6
    assert syncer.status.repo(LOCAL.repo_id).status == "synced"
    assert syncer.status.repo(HOSTED.repo_id).status == SyncStanding.NOT_SYNCED
    run_sync(syncer)
    index.catalog.delete_repo(LOCAL.repo_id)  # a repository removed from the app: a full sync removes it
    summary = run_sync(syncer)
    assert summary.deleted == 6 and len(cloud.resources) == 14
    assert_cloud_matches(cloud, index.catalog)


def test_file_states_and_defaults_from_settings_and_secrets(index, cloud, monkeypatch):
    monkeypatch.setenv("PHAROS_TOKEN", "test-token-1234567890")
    index.settings.api_url = cloud.url + "/"
    syncer = Syncer(index)
    assert syncer.api_url == cloud.url
    states = syncer.status.files(HOSTED.repo_id)
    assert len(states) == 14 and {s.status for s in states.values()} == {"pending"}
    run_sync(syncer)
    states = syncer.status.files(HOSTED.repo_id)
    assert {s.status for s in states.values()} == {"synced"}
    readme = states["README.md"]
    assert readme.resource_id in cloud.resources and readme.url == expected_url(HOSTED, "README.md")


def test_the_window_reads_sync_states_without_the_keyring(index, cloud, monkeypatch):
    """Every refresh of the repository list and the file tree reads these: no token, no keyring, no client."""
    from pharos_desktop.ui.sync_status import load_file_sync_states, load_sync_states

    index.settings.api_url = cloud.url
    run_sync(make_syncer(index, cloud), repo=HOSTED.repo_id)

    def refuse(*_args):
        raise AssertionError("the keyring was read")

    monkeypatch.setattr(keyring, "get_password", refuse)
    states = load_sync_states(index, [HOSTED.repo_id, LOCAL.repo_id])
    assert states[HOSTED.repo_id].startswith("synced") and states[LOCAL.repo_id] == "not synced"
    assert {shown for shown, _tip in load_file_sync_states(index, HOSTED.repo_id).values()} == {"synced"}
