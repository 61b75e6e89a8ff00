"""The one way a job runs (engine/jobs.py), on a real catalog file, and the cancel token's waits on real threads."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.index.catalog import Catalog, RepoRecord
from pharos_desktop.engine.errors import Cancelled, PharosError, SourceError
from pharos_desktop.engine.run.events import (IngestSummary, JobCancelled, JobFailed, JobFinished, JobStarted,
                                          StageMessage, SyncSummary)
from pharos_desktop.engine.jobs import Job, JobsTable, ResumableJob
from pharos_desktop.engine.run.task import Task


def summary(files: int = 3) -> IngestSummary:
    return IngestSummary("alpha", "r1", "https://github.com/o/alpha", "abc", files, 7, 0, {}, 7, 0.5)


def run(table: JobsTable, task: Task, work, ended: list | None = None):
    with Job(table, task, secret="s3cret") as job:
        job.start("alpha")
        job.own("r1", {"source": "https://github.com/o/alpha", "branch": None},
                (lambda state, message: ended.append((state, message))) if ended is not None else None)
        result = work(task)
        job.finish(result, ok=not getattr(result, "failed", 0))
    return result


@pytest.fixture
def table(workspace) -> JobsTable:
    workspace.catalog.upsert_repo(RepoRecord("r1", "alpha", "https://github.com/o/alpha", "remote", state="ingesting"))
    return workspace.jobs


def row(table: JobsTable, job_id: str) -> sqlite3.Row:
    return table.catalog.read("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()


def test_a_finished_job_is_written_once_with_its_typed_summary(table):
    events: list = []
    task = Task("ingest", events.append, job_id="j1")
    assert run(table, task, lambda t: summary()) == summary()
    assert [type(e) for e in events] == [JobStarted, JobFinished]
    assert events[0].kind == "ingest" and events[1].kind == "ingest" and events[1].summary == summary()
    assert (row(table, "j1")["state"], row(table, "j1")["kind"]) == ("done", "ingest")
    assert '"files": 3' in row(table, "j1")["summary"]


def test_a_sync_with_failed_files_ends_failed_with_its_summary(table):
    events: list = []
    run(table, Task("sync", events.append, job_id="j2"), lambda t: SyncSummary(created=2, failed=1))
    assert row(table, "j2")["state"] == "failed" and isinstance(events[-1], JobFinished)


def test_cancel_ends_the_job_cancelled_and_resumable(table):
    events: list = []
    ended: list = []
    cancel = CancelToken()

    def work(task: Task):
        task.message("working")
        cancel.cancel()
        task.raise_if_cancelled()

    with pytest.raises(Cancelled):
        run(table, Task("ingest", events.append, cancel, "j3"), work, ended)
    assert isinstance(events[-1], JobCancelled) and events[-1].resumable
    assert row(table, "j3")["state"] == "cancelled" and ended == [("cancelled", "")]
    assert table.resumable() == [ResumableJob("j3", "r1", {"source": "https://github.com/o/alpha", "branch": None},
                                              "cancelled")]


def test_an_asyncio_cancel_ends_the_job_cancelled_too(table):
    events: list = []

    async def main():
        async def work():
            with Job(table, Task("sync", events.append, job_id="j4")) as job:
                job.start("all repositories")
                job.own(None, {})
                await asyncio.sleep(30)

        running = asyncio.ensure_future(work())
        await asyncio.sleep(0.05)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running

    asyncio.run(main())
    assert row(table, "j4")["state"] == "cancelled" and isinstance(events[-1], JobCancelled)


def test_an_engine_error_fails_the_job_with_its_own_line(table):
    events: list = []
    ended: list = []

    def work(task: Task):
        raise SourceError("repository not found: check the URL")

    with pytest.raises(SourceError):
        run(table, Task("ingest", events.append, job_id="j5"), work, ended)
    assert events[-1].message == "repository not found: check the URL"
    assert row(table, "j5")["error"] == "repository not found: check the URL" and row(table, "j5")["state"] == "failed"
    assert ended == [("failed", "repository not found: check the URL")]


def test_an_unexpected_error_fails_with_one_line_the_traceback_aside_and_no_secret(table):
    events: list = []

    def work(task: Task):
        raise ValueError("bad value near s3cret\nand a second line")

    with pytest.raises(PharosError) as raised:
        run(table, Task("sync", events.append, job_id="j6"), work)
    failed = events[-1]
    assert isinstance(failed, JobFailed)
    assert failed.message == str(raised.value) == "sync failed unexpectedly: ValueError: bad value near ***"
    assert "\n" not in failed.message and "Traceback" in failed.detail and "s3cret" not in failed.detail
    assert row(table, "j6")["error"] == failed.message


def test_a_failure_before_the_job_is_owned_writes_no_row(table):
    events: list = []
    with pytest.raises(SourceError):
        with Job(table, Task("ingest", events.append, job_id="j7")):
            raise SourceError("not a git URL or folder: 'x'")
    assert [type(e) for e in events] == [JobFailed]
    assert table.catalog.read("SELECT * FROM jobs WHERE job_id = 'j7'").fetchall() == []


def test_a_job_whose_process_died_is_interrupted_at_the_next_start(tmp_path):
    path = tmp_path / "catalog.sqlite"
    catalog = Catalog(path)
    catalog.upsert_repo(RepoRecord("r1", "alpha", "https://github.com/o/alpha", "remote", state="ingesting"))
    # started by another process, which then ends without finishing it
    started = ("import sys; from pharos_desktop.engine.index.catalog import Catalog; from pharos_desktop.engine.jobs import "
               "JobsTable; JobsTable(Catalog(sys.argv[1])).start('j1', 'ingest', 'r1', "
               "{'source': 'https://github.com/o/alpha', 'branch': None})")
    subprocess.run([sys.executable, "-c", started, str(path)], check=True)
    jobs = JobsTable(catalog)
    assert jobs.states() == {"j1": "running"}
    assert jobs.mark_stale_interrupted() == 1
    assert jobs.states() == {"j1": "interrupted"} and catalog.get_repo("r1").state == "interrupted"
    assert [job.request["source"] for job in jobs.resumable()] == ["https://github.com/o/alpha"]


def test_a_data_folder_from_before_the_move_keeps_its_jobs(tmp_path):
    """The first release's jobs table (no owner columns), in the catalog file: read as before."""
    path = tmp_path / "catalog.sqlite"
    Catalog(path).upsert_repo(RepoRecord("r1", "alpha", "https://github.com/o/alpha", "remote", state="ingesting"))
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE jobs (job_id TEXT PRIMARY KEY, repo_id TEXT, kind TEXT NOT NULL, request TEXT "
                     "NOT NULL DEFAULT '{}', state TEXT NOT NULL, summary TEXT NOT NULL DEFAULT '{}', error TEXT NOT "
                     "NULL DEFAULT '', started_at REAL NOT NULL, finished_at REAL)")
        conn.execute("INSERT INTO jobs (job_id, repo_id, kind, request, state, started_at) VALUES "
                     "('old', 'r1', 'ingest', '{\"source\": \"https://github.com/o/alpha\"}', 'running', 1)")
    jobs = JobsTable(Catalog(path))
    assert jobs.mark_stale_interrupted() == 1  # no owner recorded: stale, as before
    assert [(job.job_id, job.state) for job in jobs.resumable()] == [("old", "interrupted")]


def test_task_helpers_report_as_the_job():
    events: list = []
    task = Task("ingest", events.append, job_id="j")
    task.message("cloning", "warning")
    task.skipped("a.bin", "binary")
    task.progress("scan", 1, 2)
    assert [e.job_id for e in events] == ["j", "j", "j"] and events[0] == StageMessage("j", "cloning", "warning")


# -- CancelToken: waiting for work running elsewhere -----------------------------------------------------


def test_token_result_returns_the_result_of_a_future():
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert CancelToken().result(pool.submit(lambda: 6 * 7)) == 42


def test_token_result_passes_the_work_s_error_on():
    with ThreadPoolExecutor(max_workers=1) as pool:
        with pytest.raises(ZeroDivisionError):
            CancelToken().result(pool.submit(lambda: 1 / 0))


def test_token_result_stops_waiting_on_cancel_while_the_work_goes_on():
    release = threading.Event()
    token = CancelToken()
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(release.wait, 60)  # work that cannot be interrupted
        threading.Timer(0.2, token.cancel).start()
        with pytest.raises(Cancelled):
            token.result(future)
        assert not future.done()  # the caller left; the abandoned work finishes on its own thread
        release.set()
        assert future.result(timeout=10) is True


def test_token_result_async_cancels_the_coroutine():
    token = CancelToken()
    seen: list = []

    async def slow():
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    async def main():
        asyncio.get_running_loop().call_later(0.2, token.cancel)
        with pytest.raises(Cancelled):
            await token.result_async(slow())

    asyncio.run(main())
    assert seen == ["cancelled"]  # its requests in flight stop; nothing runs on after the job


def test_token_result_async_returns_the_coroutine_s_result():
    async def answer():
        await asyncio.sleep(0.01)
        return "ok"

    assert asyncio.run(CancelToken().result_async(answer())) == "ok"
