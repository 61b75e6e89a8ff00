"""Ingest in a child process, as the window runs it: events arrive, cancel lands, failures are plain."""

from __future__ import annotations

import pytest

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.errors import Cancelled, PharosError
from pharos_desktop.engine.run.event_codec import decode, encode
from pharos_desktop.engine.run.events import (CloudJobSummary, IngestSummary, JobCancelled, JobFailed, JobFinished,
                                              JobStarted, StageProgress, SyncFailure, SyncSummary, WorkerStatus)
from pharos_desktop.engine.isolated import IsolatedIngestor
from pharos_desktop.engine.run.task import Task
from pharos_desktop.tools.sample_repos import make_package_repo

from .repo_factory import make_sample_repo


def test_event_codec_round_trips_every_event():
    ingest = IngestSummary("r", "id", "src", "abc", 2, 5, 1, {"binary": 1}, 5, 1.5, {"parse": 0.5}, 0)
    sync = SyncSummary(1, 0, 0, 3, 1, 4, [SyncFailure("id", "a.py", "HTTP 500")], "")
    cloud = CloudJobSummary("t1", "https://github.com/o/r", "failed", "expired", 0.5, 0, 0, 1700000000.0)
    for event in (JobStarted("j", "ingest", "src"), StageProgress("j", "embed", 3, 9, "chunks", "a.py", 1.5, 4.0),
                  JobFinished("j", ingest), JobFinished("j", sync), JobFinished("worker", cloud),
                  JobFailed("j", "no", "trace"), JobCancelled("j", True), WorkerStatus("worker", "idle", "", "", 3, 1)):
        assert decode(encode(event)) == event
    # the summary comes back as its kind's dataclass, not a dict to be read by key
    decoded = decode(encode(JobFinished("j", sync)))
    assert decoded.kind == "sync" and decoded.summary.failures[0].path == "a.py"
    assert decode("Loading weights: 100%") is None


def test_child_process_ingest_reports_events_and_returns_summary(workspace, tmp_path):
    sample = make_sample_repo(tmp_path / "sample")
    events = []
    summary = IsolatedIngestor(workspace).ingest(str(sample), task=Task("ingest", events.append, job_id="j1"))
    assert isinstance(events[0], JobStarted) and isinstance(events[-1], JobFinished)
    assert all(event.job_id == "j1" for event in events)
    assert {"scan", "parse", "embed", "store"} <= {e.stage for e in events if isinstance(e, StageProgress)}
    assert summary.chunks == workspace.catalog.get_repo(summary.repo_id).chunks > 0


def test_child_process_cancel_then_resume(workspace, tmp_path):
    repo = make_package_repo(tmp_path / "httpx-repo", "httpx", limit=10)
    cancel = CancelToken()
    events = []

    def watch(event):
        events.append(event)
        if isinstance(event, StageProgress) and event.stage == "embed" and event.done > 0:
            cancel.cancel()

    with pytest.raises(Cancelled):
        IsolatedIngestor(workspace).ingest(str(repo), task=Task("ingest", watch, cancel, "j2"))
    assert isinstance(events[-1], JobCancelled)
    summary = IsolatedIngestor(workspace).ingest(str(repo), task=Task("ingest", job_id="j2"))
    assert summary.files == 10


def test_child_process_failure_is_one_plain_line(workspace, tmp_path):
    events = []
    with pytest.raises(PharosError, match="does not exist"):
        IsolatedIngestor(workspace).ingest(str(tmp_path / "missing"), task=Task("ingest", events.append, job_id="j3"))
    assert isinstance(events[-1], JobFailed) and "does not exist" in events[-1].message
