"""Sync against the real Pharos cloud (shared/pharos-cloud, MODE=CLOUD, its queue in a real redis-server),
with a real repository made here and ingested for real. The real service caps its fetch queue at 10
waiting jobs that nothing drains, so every first sync of more than 10 files meets its quirk."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pharos_desktop.engine.index.catalog import Catalog
from pharos_desktop.engine.run.events import StageMessage
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.run.repo_lock import busy_message
from pharos_desktop.engine.sync import Syncer
from pharos_desktop.engine.sync.mapping import file_url, normalize_url
from pharos_desktop.tools.sample_repos import add_commit, make_many_file_repo
from tests.real_cloud import RealCloud
from tests.sync_support import run_sync

pytestmark = pytest.mark.slow
FILES = 120


def ingest(workspace, source: Path) -> None:
    Ingestor(workspace).ingest(source.as_uri(), task=Task("ingest"))


def assert_matches_local(cloud: RealCloud, catalog: Catalog, same_commit: bool = True) -> None:
    """The account holds exactly one resource per indexed file, each with exactly its chunks, in order.
    ``same_commit``: every file was published from the current commit (an unchanged file keeps the
    commit it was published from as its coverage)."""
    remote = cloud.resources()
    by_url: dict[str, list[dict]] = {}
    for row in remote:
        by_url.setdefault(normalize_url(row["url"]), []).append(row)
    expected = 0
    for repo in catalog.list_repos():
        for record in catalog.files(repo.repo_id, indexed_only=True):
            expected += 1
            rows = by_url.get(normalize_url(file_url(repo, record.path)), [])
            assert len(rows) == 1, f"{record.path}: {len(rows)} resources on the cloud"
            row = rows[0]
            assert (row["identifier"], row["type"]) == (record.path, "code_file")
            assert row["coverage"] == repo.commit or not same_commit
            local = catalog.chunks_for_file(repo.repo_id, record.path)
            chunks = cloud.chunks(row["id"])
            assert len(chunks) == len(local), f"{record.path}: {len(chunks)} chunks, {len(local)} local"
            for mine, theirs in zip(local, chunks):
                meta = theirs["chunk_metadata"]
                assert (meta["symbol_name"], meta["start_line"], meta["end_line"]) == (
                    mine.symbol, mine.start_line, mine.end_line)
                assert theirs["content"].removesuffix("...") == mine.summary[:200]
    assert len(remote) == expected, f"{len(remote)} resources on the cloud, {expected} files indexed"


def answers_logged(cloud: RealCloud) -> list[tuple[str, str]]:
    """The service's own access log: what really reached it, and the status it answered."""
    lines = (cloud.data_dir / "server.log").read_text(errors="replace").splitlines()
    return [(line.split('"')[1], line.split('"')[2].split()[0]) for line in lines
            if '" 20' in line or '" 50' in line or '" 40' in line]


def requests_logged(cloud: RealCloud) -> list[str]:
    return [request for request, _ in answers_logged(cloud)]


def test_first_sync_of_many_files_publishes_everything_then_only_changes(workspace, tmp_path, real_cloud):
    source = make_many_file_repo(tmp_path / "many", FILES)
    ingest(workspace, source)
    syncer = Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token)

    first = run_sync(syncer)
    assert (first.created, first.failed) == (FILES, 0)
    assert first.chunks == sum(f.chunk_count for f in workspace.catalog.files(
        workspace.catalog.list_repos()[0].repo_id, indexed_only=True))
    assert real_cloud.fetch_jobs_waiting() == 10  # the queue filled after 10 creates and nothing drained it
    assert "Your files are published" in first.notice and f"{FILES - 10} of the files" in first.notice
    assert_matches_local(real_cloud, workspace.catalog)

    before = len(requests_logged(real_cloud))
    second = run_sync(syncer)
    assert (second.created, second.updated, second.deleted, second.unchanged) == (0, 0, 0, FILES)
    sent = requests_logged(real_cloud)[before:]
    assert sent and all(request.startswith("GET /api/resources?") for request in sent), sent
    assert len(sent) == 2  # 120 resources, 100 a page

    add_commit(source, {"pkg/part_0/mod_000.py": "def changed():\n    return 1\n", "pkg/part_0/mod_001.py": None},
               "change one, delete one")
    ingest(workspace, source)
    third = run_sync(syncer)
    assert (third.created, third.updated, third.deleted, third.failed) == (0, 1, 1, 0)
    assert_matches_local(real_cloud, workspace.catalog, same_commit=False)


def test_a_killed_sync_is_finished_by_the_next_with_no_duplicates(workspace, tmp_path, real_cloud, pharos_home):
    ingest(workspace, make_many_file_repo(tmp_path / "many", FILES))
    env = {**os.environ, "PHAROS_HOME": str(pharos_home), "PHAROS_TOKEN": real_cloud.token}
    process = subprocess.Popen([sys.executable, "-m", "pharos_desktop", "sync", "--api-url", real_cloud.api_url],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(real_cloud.resources()) < 40 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process.poll() is None, "the sync finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    partial = len(real_cloud.resources())
    assert 40 <= partial < FILES + 5

    summary = run_sync(Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token))
    assert summary.failed == 0
    assert_matches_local(real_cloud, workspace.catalog)


# -- two syncs at once, and what they left behind ------------------------------------------------


def double_chunks(cloud: RealCloud, resource_id: str) -> None:
    """What two syncs of one repository at once left before they were serialised: every chunk of a resource
    a second time, appended by the real service."""
    with cloud.api() as api:
        for chunk in cloud.chunks(resource_id):
            api.post("/chunks", json={"resource_id": resource_id, "content": chunk["content"],
                                      "chunk_index": chunk["chunk_index"],
                                      "chunk_metadata": chunk["chunk_metadata"]}).raise_for_status()


def messages(events: list) -> list[str]:
    return [event.text for event in events if isinstance(event, StageMessage)]


def test_two_syncs_of_one_repository_at_once_publish_every_chunk_once(workspace, tmp_path, real_cloud, pharos_home):
    ingest(workspace, make_many_file_repo(tmp_path / "many", 40))
    name = workspace.catalog.list_repos()[0].name
    env = {**os.environ, "PHAROS_HOME": str(pharos_home), "PHAROS_TOKEN": real_cloud.token}
    command = [sys.executable, "-m", "pharos_desktop", "sync", "--repo", name, "--api-url", real_cloud.api_url,
               "--json"]
    both = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [process.communicate(timeout=300) for process in both]
    assert [process.returncode for process in both] == [0, 0], results
    summaries = sorted((json.loads(out)["created"], json.loads(out)["unchanged"]) for out, _ in results)
    assert summaries == [(0, 40), (40, 0)]  # one published; the other waited for it, then had nothing to do
    assert [busy_message(name) in err for _, err in results].count(True) == 1

    assert_matches_local(real_cloud, workspace.catalog)  # one resource per file, each with exactly its chunks
    third = run_sync(Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token))
    assert (third.created, third.updated, third.deleted, third.repaired, third.unchanged) == (0, 0, 0, 0, 40)


def test_a_sync_after_a_killed_one_checks_the_cloud_and_repairs_doubled_chunks(workspace, tmp_path, real_cloud,
                                                                                pharos_home):
    source = make_many_file_repo(tmp_path / "many", 40)
    ingest(workspace, source)
    run_sync(Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token))
    doubled = real_cloud.resources()[:3]
    for row in doubled:  # files this data folder's state calls done
        double_chunks(real_cloud, row["id"])
    # A sync with more to publish is killed mid-upload: it leaves its run mark.
    add_commit(source, {f"extra/mod_{n:03d}.py": f"def extra_{n}():\n    return {n}\n" for n in range(80)}, "more")
    ingest(workspace, source)
    env = {**os.environ, "PHAROS_HOME": str(pharos_home), "PHAROS_TOKEN": real_cloud.token}
    process = subprocess.Popen([sys.executable, "-m", "pharos_desktop", "sync", "--api-url", real_cloud.api_url],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(real_cloud.resources()) < 50 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process.poll() is None, "the sync finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    events: list = []
    summary = run_sync(Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token), events=events)
    assert (summary.repaired, summary.failed) == (3, 0)
    name = workspace.catalog.list_repos()[0].name
    assert any(re.fullmatch(r"checking the chunks of \d+ published files on the cloud before trusting them: "
                            f"the last sync of {name} did not finish", text) for text in messages(events))
    assert ("repaired 3 files whose chunks on the cloud were not the file's (doubled by two syncs at once, or cut "
            "short)") in messages(events)
    assert_matches_local(real_cloud, workspace.catalog, same_commit=False)

    before = len(requests_logged(real_cloud))
    again = run_sync(Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token))
    assert (again.unchanged, again.repaired) == (120, 0)
    sent = requests_logged(real_cloud)[before:]
    assert sent and all(request.startswith("GET /api/resources?") for request in sent), sent  # checked once only


def test_a_data_folder_from_an_older_version_is_checked_once(workspace, tmp_path, real_cloud):
    ingest(workspace, make_many_file_repo(tmp_path / "many", 20))
    run_sync(Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token))
    for row in real_cloud.resources()[:2]:
        double_chunks(real_cloud, row["id"])
    with workspace.catalog.writing() as conn:  # the catalog as the version before run marks left it
        conn.execute("DROP TABLE sync_runs")

    events: list = []
    summary = run_sync(Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token), events=events)
    assert (summary.repaired, summary.unchanged, summary.failed) == (2, 18, 0)
    name = workspace.catalog.list_repos()[0].name
    assert (f"checking the chunks of 20 published files on the cloud before trusting them: what an older version "
            f"published of {name} may hold doubled chunks") in messages(events)
    assert_matches_local(real_cloud, workspace.catalog)

    before = len(requests_logged(real_cloud))
    assert run_sync(Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token)).unchanged == 20
    assert all(request.startswith("GET /api/resources?") for request in requests_logged(real_cloud)[before:])


def test_a_create_answered_202_for_a_row_with_chunks_does_not_append_to_it(workspace, tmp_path, real_cloud):
    ingest(workspace, make_many_file_repo(tmp_path / "many", 3))
    repo = workspace.catalog.list_repos()[0]
    path = workspace.catalog.files(repo.repo_id, indexed_only=True)[0].path
    # A row at the file's URL that a listing of code files does not show (made through the cloud's own API,
    # without a type), holding chunks of its own.
    with real_cloud.api() as api:
        made = api.post("/api/resources", json={"url": file_url(repo, path), "title": "added by hand"})
        made.raise_for_status()
        for n in range(2):
            api.post("/chunks", json={"resource_id": made.json()["id"], "content": f"note {n}",
                                      "chunk_index": n}).raise_for_status()
    before = len(answers_logged(real_cloud))

    summary = run_sync(Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token))
    assert (summary.created, summary.failed) == (3, 0)
    creates = [status for request, status in answers_logged(real_cloud)[before:]
               if request.startswith("POST /api/resources ")]
    assert creates and set(creates) == {"202"}  # the existing row's answer looks like a new row's
    assert made.json()["id"] not in {row["id"] for row in real_cloud.resources()}  # deleted, not appended to
    assert_matches_local(real_cloud, workspace.catalog)
