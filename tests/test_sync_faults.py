"""Faults mid-sync (drops, 5xx/429 bursts, queue-down creates, latency, cancel, network loss), each followed by
a check that the server ends up equal to the local index: field by field, counted, no duplicates."""

from __future__ import annotations

import asyncio
import time

import pytest

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.errors import Cancelled, CloudError
from pharos_desktop.engine.run.events import JobCancelled, StageProgress
from pharos_desktop.engine.run.task import Task
from tests.sync_support import assert_cloud_matches, make_syncer, run_sync


def test_dropped_connections_before_an_answer_are_retried(index, cloud):
    cloud.drop(3, method="POST", path="/api/resources")
    cloud.drop(4, method="POST", path="/chunks")
    cloud.drop(2, method="PUT")
    cloud.drop(1, method="GET")
    summary = run_sync(make_syncer(index, cloud))
    assert summary.failed == 0 and summary.created == 20
    assert_cloud_matches(cloud, index.catalog)


def test_answer_lost_after_a_chunk_was_stored_does_not_leave_a_duplicate(index, cloud):
    cloud.max_queue = 10**6  # a worker keeps the fetch queue short: only the dropped answers count here
    cloud.drop(2, method="POST", path="/chunks", after=True)  # stored, but the client never hears it
    summary = run_sync(make_syncer(index, cloud))
    assert summary.failed == 0
    # one count per create (20, and 2 more for the redone files), and the two uncertain files were counted
    assert cloud.count("GET", "/chunks") == 20 + 2 + 2
    assert_cloud_matches(cloud, index.catalog)


def test_bursts_of_500_503_and_429_with_retry_after(index, cloud):
    cloud.fail(3, 500, method="POST", path="/chunks")
    cloud.fail(2, 503, path="/api/resources")
    cloud.fail(2, 429, method="PUT", retry_after="0.3")
    started = time.monotonic()
    summary = run_sync(make_syncer(index, cloud))
    assert time.monotonic() - started >= 0.3  # Retry-After honoured, not the 10 ms test backoff
    assert summary.failed == 0
    assert_cloud_matches(cloud, index.catalog)


@pytest.mark.parametrize("status", [500, 503])
def test_queue_down_creates_are_recovered_without_duplicates(index, cloud, status):
    cloud.max_queue = 10**6  # only the queue being down fails creates here
    cloud.queue_down(5, status)
    summary = run_sync(make_syncer(index, cloud))
    assert summary.failed == 0 and summary.created == 20
    # each failed create's row is found in the listing: never POSTed again; every row's chunk count is checked
    assert cloud.count("POST", "/api/resources") == 20
    assert cloud.count("GET", "/api/resources") == 1 + 5 and cloud.count("GET", "/chunks") == 20
    assert_cloud_matches(cloud, index.catalog)


def test_latency_with_concurrency(index, cloud):
    cloud.latency = 0.02
    index.settings.sync_concurrency = 8
    started = time.monotonic()
    run_sync(make_syncer(index, cloud))
    # 109 requests at 20 ms: one at a time would take > 2 s
    assert time.monotonic() - started < 1.8
    assert_cloud_matches(cloud, index.catalog)


def test_one_bad_file_does_not_stop_the_others(index, cloud):
    bad = lambda body: "mod_03" in body.get("url", "")  # noqa: E731
    cloud.fail(100, 422, method="POST", path="/api/resources", match=bad,
               detail=[{"loc": ["body", "title"], "msg": "String should have at most 255 characters"}])
    cloud.fail(100, 500, method="POST", path="/api/resources", match=lambda b: "mod_04" in b.get("url", ""))
    syncer = make_syncer(index, cloud)
    summary = run_sync(syncer)
    assert summary.failed == 2 and summary.created == 18
    messages = {f.path: f.message for f in summary.failures}
    assert "title: String should have at most 255 characters" in messages["src/pkg/mod_03.py"]
    assert "HTTP 500" in messages["src/pkg/mod_04.py"]
    state = syncer.status.repo("0123456789abcdef")
    assert state.status == "failed" and "2 files failed" in state.reason
    assert syncer.status.files("0123456789abcdef")["src/pkg/mod_03.py"].status == "failed"
    cloud.clear_faults()
    cloud._faults.clear()
    summary = run_sync(syncer)
    assert (summary.created, summary.unchanged, summary.failed) == (2, 18, 0)
    assert_cloud_matches(cloud, index.catalog)
    assert syncer.status.repo("0123456789abcdef").status == "synced"


def test_network_loss_stops_the_sync_and_the_next_one_completes(index, cloud):
    cloud.drop(10_000, path="/chunks")  # the network goes away once chunks start flowing
    with pytest.raises(CloudError, match="cannot reach the Pharos cloud"):
        run_sync(make_syncer(index, cloud, retries=2))
    cloud.clear_faults()
    summary = run_sync(make_syncer(index, cloud))
    assert summary.failed == 0
    assert_cloud_matches(cloud, index.catalog)


def test_cancel_lands_fast_and_the_next_sync_resumes(index, cloud):
    cloud.latency = 0.01
    cancel = CancelToken()
    events: list = []
    cancelled_at = []

    def emit(event):
        events.append(event)
        if isinstance(event, StageProgress) and event.stage == "upload" and event.done >= 6 and not cancel.cancelled:
            cancel.cancel()
            cancelled_at.append(time.monotonic())
            cloud.latency = 5.0  # requests now in flight would hang: the cancel must not wait for them

    syncer = make_syncer(index, cloud)
    with pytest.raises(Cancelled):
        asyncio.run(syncer.sync(task=Task("sync", emit, cancel, "j")))
    assert time.monotonic() - cancelled_at[0] < 1.0
    assert isinstance(events[-1], JobCancelled)
    cloud.latency = 0.0
    time.sleep(0.2)  # let the server's hanging handlers notice nothing; new requests are fast again
    summary = run_sync(syncer)
    assert summary.failed == 0 and summary.unchanged >= 6
    assert_cloud_matches(cloud, index.catalog)


@pytest.mark.parametrize("after", [0.12, 0.2, 0.3])
def test_killed_part_way_loses_nothing(index, cloud, after):
    """The sync task is torn down at an arbitrary moment (as when the window closes mid-request)."""
    cloud.latency = 0.005

    async def killed():
        task = asyncio.ensure_future(make_syncer(index, cloud).sync(task=Task("sync", job_id="k")))
        await asyncio.sleep(after)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(killed())
    cloud.latency = 0.0
    summary = run_sync(make_syncer(index, cloud))
    assert summary.failed == 0
    assert_cloud_matches(cloud, index.catalog)


def test_create_answered_by_an_existing_row_with_chunks_is_not_appended_to(index, cloud):
    syncer = make_syncer(index, cloud)
    run_sync(syncer)
    # The listing misses one row (e.g. it moved between pages): the plan thinks the file is gone remotely.
    missed = next(r for r in cloud.resources.values() if r["identifier"] == "setup.py")
    original = cloud._list

    def listing_without_it(query):
        status, body, headers = original(query)
        if not query.get("type"):  # only the plan's listing of code files misses it
            return status, body, headers
        body = dict(body, items=[i for i in body["items"] if i["id"] != missed["id"]], total=body["total"] - 1)
        return status, body, headers

    cloud._list = listing_without_it
    summary = run_sync(syncer)
    cloud._list = original
    assert summary.failed == 0 and summary.created == 1
    assert cloud.count("GET", "/chunks") >= 1
    assert_cloud_matches(cloud, index.catalog)


def test_repeated_syncs_under_mixed_faults_converge_without_duplicates(index, cloud):
    """Drops before and after answers, 5xx and 429 storms and a full fetch queue all at once: each sync
    publishes what it can, and re-running converges on exactly the local index."""
    cloud.drop(4, method="POST", path="/chunks", after=True)
    cloud.drop(3, method="POST", path="/api/resources", after=True)
    cloud.fail(6, 503, path="/api/resources", retry_after="0")
    cloud.fail(5, 500, method="POST", path="/chunks")
    cloud.fail(3, 429, method="PUT", retry_after="0")
    syncer = make_syncer(index, cloud, retries=1)
    for _ in range(5):
        try:
            summary = run_sync(syncer)
        except CloudError:  # the network "went away" for good this round: the next sync carries on
            continue
        if summary.failed == 0:
            break
    else:
        raise AssertionError("five syncs did not converge")
    assert_cloud_matches(cloud, index.catalog)
