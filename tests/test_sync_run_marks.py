"""Run marks (engine/sync/tables.py, sync_runs): a run that ends in a way it handles clears its own mark, so
the next run trusts the sync state; a check of the cloud that a run owes is not lost when that run fails or
is cancelled before it could make it. Against the fake cloud over real HTTP, with a real catalog; a killed
run and two runs at once are in tests/test_sync_real_cloud.py, against the real cloud."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.errors import Cancelled, CloudError
from pharos_desktop.engine.run.events import StageProgress
from pharos_desktop.engine.run.task import Task
from tests.sync_support import assert_cloud_matches, make_syncer, run_sync


def double_chunks(cloud, count: int) -> None:
    """What two syncs at once left: the first ``count`` resources hold every chunk twice."""
    with cloud.lock:
        for resource_id in list(cloud.resources)[:count]:
            rows = cloud.chunks[resource_id]
            rows.extend(dict(row, id=str(uuid.uuid4()), chunk_index=len(rows) + n) for n, row in enumerate(list(rows)))


def as_an_older_version_left_it(index) -> None:
    with index.catalog.writing() as conn:
        conn.execute("DROP TABLE sync_runs")


def test_a_check_owed_survives_a_run_that_failed_before_making_it(index, cloud):
    run_sync(make_syncer(index, cloud))
    double_chunks(cloud, 2)
    as_an_older_version_left_it(index)
    with pytest.raises(CloudError, match="refused the token"):
        run_sync(make_syncer(index, cloud, token="wrong-token"))

    summary = run_sync(make_syncer(index, cloud))
    assert (summary.repaired, summary.unchanged, summary.failed) == (2, 18, 0)
    assert_cloud_matches(cloud, index.catalog)
    cloud.reset_counts()
    assert run_sync(make_syncer(index, cloud)).unchanged == 20
    assert cloud.count("GET", "/chunks") == 0  # checked once: the mark is gone


def test_a_cancelled_run_clears_its_own_mark(index, cloud):
    run_sync(make_syncer(index, cloud))
    cancel = CancelToken()
    cloud.latency = 2.0  # the listing is in flight when the cancel comes
    threading.Timer(0.5, cancel.cancel).start()
    with pytest.raises(Cancelled):
        run_sync(make_syncer(index, cloud), cancel=cancel)
    cloud.latency = 0.0
    double_chunks(cloud, 1)  # the state cannot see this; only a mark left behind would make a run look
    cloud.reset_counts()
    assert run_sync(make_syncer(index, cloud)).unchanged == 20
    assert cloud.count("GET", "/chunks") == 0


def test_a_cancelled_check_is_made_by_the_next_run(index, cloud):
    run_sync(make_syncer(index, cloud))
    double_chunks(cloud, 3)
    as_an_older_version_left_it(index)
    cancel = CancelToken()

    def emit(event) -> None:
        if isinstance(event, StageProgress) and event.stage == "plan" and event.done >= 5:
            cancel.cancel()
            cloud.latency = 5.0  # the counts in flight hang: the cancel does not wait for them

    with pytest.raises(Cancelled):
        asyncio.run(make_syncer(index, cloud).sync(task=Task("sync", emit, cancel, "j")))
    cloud.latency = 0.0
    summary = run_sync(make_syncer(index, cloud))
    assert (summary.repaired, summary.failed) == (3, 0)
    assert_cloud_matches(cloud, index.catalog)
