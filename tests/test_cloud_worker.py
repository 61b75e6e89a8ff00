"""Pharos Desktop as the real cloud's edge worker: the cloud's own routes, its real Redis (as redis:// and
through the Upstash-REST front), repositories served by a real `git daemon`, and real worker processes."""

from __future__ import annotations

import json
import signal
import threading
import time

import httpx
import pytest

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.run.events import CloudJobSummary, JobFinished, WorkerStatus
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.sync import Syncer
from pharos_desktop.engine.worker import CloudWorker, Queue
from pharos_desktop.engine.worker.cloud_job import status_key
from pharos_desktop.tools.sample_repos import make_many_file_repo
from tests.git_daemon import TcpProxy
from tests.sync_support import run_sync
from tests.worker_support import queue_job, run_once, start_worker, stderr_of, submit, wait_for

pytestmark = pytest.mark.slow
FAST = {"idle_poll": (0.2, 0.5), "backoff": (0.2, 1.0)}


class Running:
    """A CloudWorker on a thread, as the window runs it."""

    def __init__(self, workspace, cloud, queue: Queue, **kwargs) -> None:
        workspace.settings.trusted_git_hosts = ["127.0.0.1"]  # the test's git daemon is a private server
        self.cancel = CancelToken()
        self.events: list = []
        self.worker = CloudWorker(workspace, queue, api_url=cloud.api_url, token=cloud.token,
                                  emit=self.events.append, **FAST, **kwargs)
        self.error: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def outcomes(self) -> list[CloudJobSummary]:
        return [event.summary for event in self.events if isinstance(event, JobFinished) and event.kind == "cloud"]

    def _run(self) -> None:
        try:
            self.worker.run(self.cancel)
        except BaseException as exc:  # noqa: BLE001 - checked by the test
            self.error.append(exc)

    def stop(self) -> None:
        self.cancel.cancel()
        self.thread.join(timeout=60)


@pytest.mark.parametrize("via", ["redis", "upstash"])
def test_submit_dispatch_ingest_publish_and_record(workspace, tmp_path, real_cloud, git_daemon, via):
    repo_url = git_daemon.publish(make_many_file_repo(tmp_path / "work", 14), "demo")
    refused = submit(real_cloud, repo_url)
    assert refused.status_code == 503 and refused.headers["X-Pharos-Edge-Status"] == "offline"
    assert refused.json()["detail"]["error"] == "System Degraded: Edge Worker Offline"

    queue = Queue(real_cloud.redis_url) if via == "redis" else Queue(real_cloud.queue_url, real_cloud.queue_token)
    running = Running(workspace, real_cloud, queue)
    try:
        wait_for(lambda: httpx.get(real_cloud.api_url + "/api/v1/ingestion/health/worker").json()["state"] == "online",
                 30, "the heartbeat")
        accepted = submit(real_cloud, repo_url)
        assert accepted.status_code == 200 and accepted.json()["status"] == "dispatched"
        task_id = json.loads(real_cloud.redis().lindex("ingest_queue", -1) or "{}").get("task_id")
        wait_for(lambda: running.outcomes, 300, "the job")
    finally:
        running.stop()
    assert not running.error
    outcome = running.outcomes[0]
    assert (outcome.status, outcome.repo_url, outcome.files, outcome.reason) == ("completed", repo_url, 14, "")
    redis = real_cloud.redis()
    assert redis.get(status_key(task_id)) == "completed"
    assert redis.llen("ingest_queue") == 0 and redis.llen(running.worker.processing) == 0
    history = httpx.get(real_cloud.api_url + "/api/v1/ingestion/jobs/history", params={"limit": 5}).json()["jobs"]
    assert history[0]["repo_url"] == repo_url and history[0]["status"] == "completed"
    assert history[0]["files_processed"] == 14
    published = {row["identifier"] for row in real_cloud.resources()}
    assert len(published) == 14 and all(path.startswith("pkg/") for path in published)
    # The cloud queued a fetch job per create; the worker removed ours, so the cloud still takes creates.
    assert redis.llen("pharos:tasks") == 0
    with real_cloud.api() as api:
        assert api.post("/api/resources", json={"url": "https://example.org/after"}).status_code == 202


def test_a_users_sync_of_many_files_leaves_no_fetch_jobs_of_ours(workspace, tmp_path, real_cloud):
    from pharos_desktop.engine.ingest import Ingestor

    source = make_many_file_repo(tmp_path / "many", 40)
    Ingestor(workspace).ingest(source.as_uri(), task=Task("ingest"))
    running = Running(workspace, real_cloud, Queue(real_cloud.redis_url))
    try:
        summary = run_sync(Syncer(workspace, api_url=real_cloud.api_url, token=real_cloud.token))
        assert (summary.created, summary.failed) == (40, 0)
        wait_for(lambda: real_cloud.fetch_jobs_waiting() == 0, 30, "clearing our fetch jobs")
    finally:
        running.stop()
    assert running.worker.state.drained >= 10
    with real_cloud.api() as api:  # the cloud's own "add resource" works again
        assert api.post("/api/resources", json={"url": "https://example.org/mine"}).status_code == 202


def test_expired_and_failing_jobs_are_recorded_failed_and_the_worker_goes_on(tmp_path, real_cloud, git_daemon,
                                                                             pharos_home):
    good = git_daemon.publish(make_many_file_repo(tmp_path / "work", 3), "good")
    redis = real_cloud.redis()
    queue_job(real_cloud, good, "expired-1", submitted=time.time() - 2 * 86400)
    queue_job(real_cloud, git_daemon.url("missing"), "missing-1")
    queue_job(real_cloud, good, "good-1")
    done, lines = run_once(real_cloud, pharos_home)
    assert done.returncode == 0, done.stderr
    assert [(line["task_id"], line["status"]) for line in lines] == [
        ("expired-1", "failed"), ("missing-1", "failed"), ("good-1", "completed")]
    assert lines[0]["reason"] == "expired"
    assert lines[1]["reason"] and "\n" not in lines[1]["reason"]
    assert [redis.get(status_key(t)) for t in ("expired-1", "missing-1", "good-1")] == ["failed", "failed", "completed"]


def test_a_worker_killed_mid_job_finishes_it_after_a_restart_without_duplicates(tmp_path, real_cloud, git_daemon,
                                                                                pharos_home):
    queue_job(real_cloud, git_daemon.publish(make_many_file_repo(tmp_path / "work", 60), "big"), "kill-1")
    redis = real_cloud.redis()
    process = start_worker(real_cloud, pharos_home)
    try:
        wait_for(lambda: len(real_cloud.resources()) >= 15, 300, "publishing part of the job")
        assert redis.get(status_key("kill-1")) == "running"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert redis.llen("ingest_queue") == 0  # the job sits in the dead worker's processing list

    done, lines = run_once(real_cloud, pharos_home)
    assert done.returncode == 0, done.stderr
    assert lines[-1]["status"] == "completed"
    urls = [row["url"] for row in real_cloud.resources()]
    assert len(urls) == len(set(urls)) == 60  # every file once, none twice


def test_sigterm_leaves_the_job_for_the_next_start(tmp_path, real_cloud, git_daemon, pharos_home):
    queue_job(real_cloud, git_daemon.publish(make_many_file_repo(tmp_path / "work", 60), "big"), "term-1")
    redis = real_cloud.redis()
    process = start_worker(real_cloud, pharos_home)
    wait_for(lambda: redis.get(status_key("term-1")) == "running", 120, "the job starting")
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=60)
    assert code == 130, stderr_of(pharos_home)[-3000:]
    processing = [key for key in redis.keys("pharos:worker:*:processing")]
    assert len(processing) == 1 and redis.llen(processing[0]) == 1  # kept, not lost, not done


def test_the_queue_going_away_backs_off_and_recovers(workspace, tmp_path, real_cloud, git_daemon):
    redis_port = int(real_cloud.redis_url.rsplit(":", 1)[1])
    proxy = TcpProxy(redis_port)
    running = Running(workspace, real_cloud, Queue(f"redis://127.0.0.1:{proxy.port}"))
    try:
        wait_for(lambda: running.worker.state.status == "idle", 30, "going idle")
        proxy.down()
        wait_for(lambda: running.worker.state.status == "backing off", 30, "backing off")
        assert "the queue at 127.0.0.1 failed" in running.worker.state.reason
        assert any(isinstance(e, WorkerStatus) and e.status == "backing off" for e in running.events)
        attempts = running.worker.requests["queue"]
        time.sleep(1.5)
        assert running.worker.requests["queue"] - attempts <= 4  # backing off, not a tight loop
        proxy.up()
        repo_url = git_daemon.publish(make_many_file_repo(tmp_path / "work", 3), "back")
        queue_job(real_cloud, repo_url, "back-1")
        wait_for(lambda: running.outcomes, 300, "the job after the queue came back")
    finally:
        running.stop()
        proxy.down()
    assert running.outcomes[0].status == "completed"
