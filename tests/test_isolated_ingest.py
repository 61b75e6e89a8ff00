"""Ingest in a child process, as the window runs it: events arrive, cancel lands, failures are plain."""

from __future__ import annotations

import pytest

from pharos_desktop.engine.cancel import CancelToken
from pharos_desktop.engine.errors import Cancelled, PharosError
from pharos_desktop.engine.event_codec import decode, encode
from pharos_desktop.engine.events import JobCancelled, JobFailed, JobFinished, JobStarted, StageProgress
from pharos_desktop.engine.isolated import IsolatedIngestor
from pharos_desktop.tools.sample_repos import make_package_repo

from .repo_factory import make_sample_repo


def test_event_codec_round_trips_every_event():
    for event in (JobStarted("j", "ingest", "src"), StageProgress("j", "embed", 3, 9, "chunks", "a.py", 1.5, 4.0),
                  JobFinished("j", {"files": 2}), JobFailed("j", "no", "trace"), JobCancelled("j", True)):
        assert decode(encode(event)) == event
    assert decode("Loading weights: 100%") is None


def test_child_process_ingest_reports_events_and_returns_summary(workspace, tmp_path):
    sample = make_sample_repo(tmp_path / "sample")
    events = []
    summary = IsolatedIngestor(workspace).ingest(str(sample), emit=events.append, cancel=CancelToken(), job_id="j1")
    assert isinstance(events[0], JobStarted) and isinstance(events[-1], JobFinished)
    assert all(event.job_id == "j1" for event in events)
    assert {"scan", "parse", "embed", "store"} <= {e.stage for e in events if isinstance(e, StageProgress)}
    assert summary["chunks"] == workspace.catalog.get_repo(summary["repo_id"]).chunks > 0


def test_child_process_cancel_then_resume(workspace, tmp_path):
    repo = make_package_repo(tmp_path / "httpx-repo", "httpx", limit=10)
    cancel = CancelToken()
    events = []

    def watch(event):
        events.append(event)
        if isinstance(event, StageProgress) and event.stage == "embed" and event.done > 0:
            cancel.cancel()

    with pytest.raises(Cancelled):
        IsolatedIngestor(workspace).ingest(str(repo), emit=watch, cancel=cancel, job_id="j2")
    assert isinstance(events[-1], JobCancelled)
    summary = IsolatedIngestor(workspace).ingest(str(repo), emit=lambda e: None, cancel=CancelToken(), job_id="j2")
    assert summary["files"] == 10


def test_child_process_failure_is_one_plain_line(workspace, tmp_path):
    events = []
    with pytest.raises(PharosError, match="does not exist"):
        IsolatedIngestor(workspace).ingest(str(tmp_path / "missing"), emit=events.append, cancel=CancelToken(),
                                           job_id="j3")
    assert isinstance(events[-1], JobFailed) and "does not exist" in events[-1].message
