"""The cloud worker against a hostile queue and cloud: what a queued job can never make Pharos Desktop do.

Everything here runs real parts: the real cloud from shared/ with its real Redis, real worker processes
(`pharos-desktop worker`), real git servers and listeners on 127.0.0.1, real signals. Each test is one
promise of docs/security.md ("Cloud jobs").
"""

from __future__ import annotations

import base64
import json
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import git
import httpx
import psutil
import pytest

from pharos_desktop.engine.index.catalog import Catalog
from pharos_desktop.engine.worker.admission import NOT_PUBLIC, PLAIN_TEXT
from pharos_desktop.engine.worker.cloud_job import DEAD_LETTERS, status_key
from pharos_desktop.tools.sample_repos import make_many_file_repo
from tests.net import free_port
from tests.worker_support import (heartbeat, queue_job, run_once, start_worker, stderr_of, submit, wait_for,
                                  worker_command, worker_env)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("hermetic_git")]


@pytest.fixture
def served(tmp_path) -> Path:
    """A folder of bare repositories for the tests' git servers: repo.git holds 3 small modules."""
    root = tmp_path / "served"
    root.mkdir()
    git.Repo.clone_from(make_many_file_repo(tmp_path / "upstream", 3), root / "repo.git", bare=True)
    return root


def history(cloud) -> list[dict]:
    """The cloud's job history as anyone can read it (no token)."""
    return httpx.get(cloud.api_url + "/api/v1/ingestion/jobs/history", params={"limit": 50}).json()["jobs"]


def repositories(pharos_home: Path) -> list[str]:
    catalog = Catalog(pharos_home / "catalog.sqlite")
    try:
        return [repo.source for repo in catalog.list_repos()]
    finally:
        catalog.close()


class Listener:
    """A plain TCP port that records whether anything connected (a service on the worker's machine)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.socket.close()


# -- a job names a place on this machine -------------------------------------------------------------------

def test_a_job_naming_a_local_path_is_refused_and_nothing_of_it_is_read(tmp_path, real_cloud, pharos_home):
    # The worker starts from a folder that holds "etc" and a private folder, as it might start from / or ~.
    root = tmp_path / "root"
    for folder in ("etc", "private"):
        (root / folder).mkdir(parents=True)
        (root / folder / "secrets.py").write_text("def password():\n    return 'hunter2'\n")
    heartbeat(real_cloud)
    assert submit(real_cloud, "etc").json()["status"] == "dispatched"  # the cloud's own route queues it
    jobs = {"etc-route": None, "absolute": str(root / "private"), "file-url": (root / "private").as_uri(),
            "dot": "./etc", "home": "~/private", "up": "../root/etc"}
    for task_id, url in jobs.items():
        if url:
            queue_job(real_cloud, url, task_id)

    done, lines = run_once(real_cloud, pharos_home, cwd=root)

    assert done.returncode == 0, done.stderr
    assert [line["status"] for line in lines] == ["failed"] * len(jobs)
    reasons = [line["reason"] for line in lines]
    assert reasons[0] == "refused: not a repository URL (no repository path): https://etc"
    assert reasons[1:] == ["refusing a local path: only a remote repository URL can be used here"] * (len(jobs) - 1)
    assert real_cloud.resources() == [] and repositories(pharos_home) == []
    assert not (pharos_home / "clones").exists() or not any((pharos_home / "clones").iterdir())


def test_a_job_naming_this_machines_network_is_refused_before_anything_is_contacted(tmp_path, real_cloud, pharos_home,
                                                                                    served, git_servers, tls):
    https, http, listener = git_servers(served, tls=tls), git_servers(served), Listener()
    closed = free_port()
    https_port = https.url.rsplit(":", 1)[1]
    targets = {
        "open-https": f"{https.url}/repo.git", "by-name": f"https://localhost:{https_port}/repo.git",
        "open-tcp": f"https://127.0.0.1:{listener.port}/repo.git", "closed": f"https://127.0.0.1:{closed}/repo.git",
        "ipv6-loopback": f"https://[::1]:{https_port}/repo.git", "metadata": "https://169.254.169.254/latest.git",
        "private": "https://10.255.255.1/x/repo.git", "unresolvable": "https://no-such-host.invalid/x/repo.git",
        "no-scheme": f"127.0.0.1:{https_port}/repo.git", "plain-http": f"{http.url}/repo.git",
    }
    for task_id, url in targets.items():
        queue_job(real_cloud, url, task_id)

    done, lines = run_once(real_cloud, pharos_home, env=worker_env(real_cloud, pharos_home, trusted=""))

    assert done.returncode == 0, done.stderr
    assert {line["task_id"]: line["status"] for line in lines} == dict.fromkeys(targets, "failed")
    # One reason for every target, open, closed, not HTTP or not there: it tells a reader of the public
    # history nothing about this machine's network.
    reasons = {line["task_id"]: line["reason"] for line in lines}
    assert reasons.pop("plain-http") == PLAIN_TEXT.format(scheme="http")
    assert set(reasons.values()) == {NOT_PUBLIC}
    assert {entry["reason"] for entry in history(real_cloud) if entry["status"] == "failed"} == {
        NOT_PUBLIC, PLAIN_TEXT.format(scheme="http")}
    assert https.paths == [] and http.paths == [] and listener.connections == 0
    listener.close()


def test_a_trusted_private_server_is_reached_but_never_followed_elsewhere(tmp_path, real_cloud, pharos_home, served,
                                                                          git_servers, tls):
    trusted = git_servers(served, tls=tls)
    elsewhere = git_servers(served, tls=tls, host="127.0.0.2")
    bouncing = git_servers(served, tls=tls, redirect_to=elsewhere.url)
    queue_job(real_cloud, f"{trusted.url}/repo.git", "trusted")
    queue_job(real_cloud, f"{bouncing.url}/repo.git", "redirected")

    done, lines = run_once(real_cloud, pharos_home)  # 127.0.0.1 is trusted, 127.0.0.2 is not

    assert done.returncode == 0, done.stderr
    assert [(line["task_id"], line["status"]) for line in lines] == [("trusted", "completed"), ("redirected", "failed")]
    assert lines[0]["files"] == 3
    assert lines[1]["reason"].startswith("127.0.0.1 answered with a redirect")
    assert bouncing.paths and elsewhere.paths == []


def test_credentials_in_a_queued_url_are_never_sent_shown_or_written_back(tmp_path, real_cloud, pharos_home, served,
                                                                          git_servers, tls):
    server = git_servers(served, tls=tls)
    secret, other = "SECRET-b0b-3141592653", "SECRET-eve-2718281828"
    host = server.url.removeprefix("https://")
    queue_job(real_cloud, f"https://bob:{secret}@{host}/repo.git", "with-password")
    queue_job(real_cloud, f"https://eve:{other}@10.1.2.3/x/repo.git", "refused-with-password")
    command = worker_command(real_cloud, "--once")
    command.insert(command.index("worker"), "--verbose")  # tracebacks too: they must not hold it either
    process = subprocess.run(command, env=worker_env(real_cloud, pharos_home), capture_output=True, text=True,
                             timeout=300)

    assert process.returncode == 0, process.stderr
    lines = [json.loads(line) for line in process.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["completed", "failed"]
    assert lines[0]["repo_url"] == f"https://{host}/repo.git"
    assert lines[1]["repo_url"] == "https://10.1.2.3/x/repo.git"
    redis = real_cloud.redis()
    public = json.dumps(history(real_cloud)) + json.dumps([redis.get(status_key(t)) for t in ("with-password",
                                                                                               "refused-with-password")])
    seen_by_server = " ".join(server.seen) + " ".join(
        base64.b64decode(auth.split()[-1]).decode(errors="replace") for auth in server.credentials)
    written = "".join(path.read_text(errors="replace") for path in pharos_home.rglob("*")
                      if path.is_file() and path.suffix not in (".bin", ".pickle"))
    written += "".join(path.read_bytes().decode("latin-1") for path in pharos_home.rglob("*.sqlite*"))
    for where in (process.stdout, process.stderr, public, seen_by_server, written):
        assert secret not in where and other not in where


# -- a job that cannot be read ------------------------------------------------------------------------------

def test_jobs_that_cannot_be_read_fail_are_moved_aside_and_the_queue_goes_on(tmp_path, real_cloud, pharos_home,
                                                                               git_daemon):
    good = git_daemon.publish(make_many_file_repo(tmp_path / "work", 2), "good")
    poisoned = [b"[" * 200_000 + b"]" * 200_000,  # nested 200,000 levels (over the size cap)
                b"[" * 20_000 + b"]" * 20_000,  # nested 20,000 levels (under it: the parser's stack)
                b'{"repo_url": "https://example.org/r", "task_id": "\xff\xfe"}',  # not UTF-8
                b"x" * 2_000_000, b"[1, 2]", json.dumps({"task_id": 5, "repo_url": ["a"]}).encode()]
    raw = real_cloud.redis()
    raw.connection_pool.connection_kwargs["decode_responses"] = False
    for value in poisoned:
        raw.rpush("ingest_queue", value)
    queue_job(real_cloud, good, "good-1")

    done, lines = run_once(real_cloud, pharos_home)

    assert done.returncode == 0, done.stderr
    assert [line["status"] for line in lines] == ["failed"] * len(poisoned) + ["completed"]
    assert [line["reason"] for line in lines[:-1]] == [
        "a job of 400,000 bytes (more than 64 KB) was not read", "a job that is not JSON was not read",
        "a job that is not UTF-8 text was not read", "a job of 2,000,000 bytes (more than 64 KB) was not read",
        "a job that is not a JSON object was not read",
        "not a job Pharos Desktop understands (no task id or repository URL)"]
    redis = real_cloud.redis()
    assert redis.llen("ingest_queue") == 0 and redis.keys("pharos:worker:*:processing") == []
    dead = [json.loads(entry) for entry in redis.lrange(DEAD_LETTERS, 0, -1)]
    assert len(dead) == len(poisoned) and all(len(json.dumps(entry)) < 5000 for entry in dead)
    assert sorted(entry["bytes"] for entry in dead) == sorted(len(value) for value in poisoned)


# -- two workers, one data folder ---------------------------------------------------------------------------

def test_a_second_worker_on_the_same_data_folder_never_touches_the_first_ones_job(tmp_path, real_cloud, pharos_home,
                                                                                   git_daemon):
    first = second = None
    try:
        queue_job(real_cloud, git_daemon.publish(make_many_file_repo(tmp_path / "work", 60), "big"), "one-job")
        redis = real_cloud.redis()
        first = start_worker(real_cloud, pharos_home, name="first")
        wait_for(lambda: redis.get(status_key("one-job")) == "running", 120, "the first worker taking the job")
        second = start_worker(real_cloud, pharos_home, name="second")
        deadline = time.monotonic() + 90
        while second.poll() is None:  # it waits for the lock, then gives up, never touching the queue
            assert redis.llen("ingest_queue") == 0, "the second worker put the first one's job back"
            assert time.monotonic() < deadline, "the second worker neither gave up nor stopped"
            time.sleep(0.2)
        assert second.returncode == 1
        assert stderr_of(pharos_home, "second").strip().splitlines()[-1] == (
            f"pharos-desktop: another Pharos Desktop worker is already working for this data folder ({pharos_home}); "
            "stop it first (two would take the same jobs)")
        wait_for(lambda: redis.get(status_key("one-job")) == "completed", 600, "the first worker finishing")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
    rows = real_cloud.resources()
    assert len(rows) == len({row["url"] for row in rows}) == 60
    catalog = Catalog(pharos_home / "catalog.sqlite")
    expected = {record.path: record.chunk_count for repo in catalog.list_repos()
                for record in catalog.files(repo.repo_id, indexed_only=True)}
    catalog.close()
    assert {row["identifier"]: len(real_cloud.chunks(row["id"])) for row in rows} == expected


# -- a full disk --------------------------------------------------------------------------------------------

def _small_file_system_available() -> str | None:
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=1m tmpfs /mnt && echo ok"], capture_output=True, text=True)
    return None if probe.stdout.strip() == "ok" else f"cannot mount a small tmpfs here: {probe.stderr.strip()}"


def test_a_full_disk_fails_the_job_at_hand_and_the_worker_waits_for_space(tmp_path, real_cloud, pharos_home,
                                                                           git_daemon):
    reason = _small_file_system_available()
    if reason:
        pytest.skip(reason)
    flags = tmp_path / "flags"
    flags.mkdir()
    # The data folder is a file system of its own (in the worker's mount namespace only). Once the worker is
    # up, the script fills it to the last byte, as another program would, and empties it again on request.
    pharos_home.mkdir(parents=True, exist_ok=True)
    # In braces, not a subshell: the SIGTERM below reaches the shell that holds the trap, which hands it to the
    # worker (a subshell's trap never saw it, and each run left a worker behind).
    script = (f'mount -t tmpfs -o size=96m tmpfs "{pharos_home}" && {{ "$@" & child=$!; trap "kill -TERM $child" TERM; '
              f'while [ ! -e "{flags}/fill" ]; do sleep 0.2; done; cat /dev/zero > "{pharos_home}/filler" 2>/dev/null; '
              f'touch "{flags}/full"; while [ ! -e "{flags}/free" ]; do sleep 0.2; done; rm -f "{pharos_home}/filler"; '
              'wait $child; }')
    log = tmp_path / "worker-stderr.txt"
    process = subprocess.Popen(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh",
                                *worker_command(real_cloud)], env=worker_env(real_cloud, pharos_home),
                               stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
    redis = real_cloud.redis()
    try:
        wait_for(lambda: "worker: idle" in log.read_text(), 120, "the worker going idle")
        (flags / "fill").touch()
        wait_for(lambda: (flags / "full").exists(), 60, "the disk filling up")
        queue_job(real_cloud, git_daemon.publish(make_many_file_repo(tmp_path / "first", 3), "first"), "disk-full")
        wait_for(lambda: redis.get(status_key("disk-full")) in ("completed", "failed"), 300, "the first job ending")
        first = json.loads(process.stdout.readline())
        assert (first["status"], first["reason"]) == ("failed", f"disk full: free space in {pharos_home}")
        assert history(real_cloud)[0]["reason"] == "disk full: free space in the worker's data folder"

        queue_job(real_cloud, git_daemon.publish(make_many_file_repo(tmp_path / "second", 2), "second"), "after")
        time.sleep(8)  # several polls: no job is taken, and so failed, while the disk is full
        assert redis.llen("ingest_queue") == 1 and process.poll() is None, log.read_text()[-3000:]
        (flags / "free").touch()
        wait_for(lambda: redis.get(status_key("after")) == "completed", 300, "the next job once space is free")
    finally:
        (flags / "free").touch()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert "Traceback" not in log.read_text()


# -- a hostile cloud ----------------------------------------------------------------------------------------

class _HostileCloud(BaseHTTPRequestHandler):
    mode = "trickle"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.mode == "huge":
            self.send_header("Content-Length", str(300 * 2**20))
            self.end_headers()
            piece = b" " * 2**20
            try:
                for _ in range(300):
                    self.wfile.write(piece)
            except OSError:
                return
        else:
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(5)
            except OSError:
                return


@pytest.fixture
def hostile_cloud():
    started = []

    def start(mode: str) -> str:
        handler = type("Handler", (_HostileCloud,), {"mode": mode})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def test_one_sigterm_ends_a_worker_held_by_a_trickling_cloud_within_seconds(real_cloud, pharos_home, hostile_cloud):
    process = start_worker(real_cloud, pharos_home, api_url=hostile_cloud("trickle"))
    try:
        wait_for(lambda: any(conn.raddr and conn.raddr[1] != int(real_cloud.redis_url.rsplit(":", 1)[1])
                             for conn in psutil.Process(process.pid).net_connections("tcp")), 60,
                 "the heartbeat under way")
        time.sleep(2)
        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        code = process.wait(timeout=60)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 130, stderr_of(pharos_home)[-3000:]
    assert took < 10, f"the worker took {took:.1f} s to stop"


def test_a_huge_heartbeat_answer_is_not_read(real_cloud, pharos_home, hostile_cloud):
    process = start_worker(real_cloud, pharos_home, api_url=hostile_cloud("huge"))
    peak = 0
    try:
        deadline = time.monotonic() + 60
        while "over 64 KB" not in stderr_of(pharos_home) and time.monotonic() < deadline:
            peak = max(peak, psutil.Process(process.pid).memory_info().rss)
            time.sleep(0.05)
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    lines = stderr_of(pharos_home).splitlines()
    assert any(line.startswith("worker: backing off: http://127.0.0.1:") and "sent an answer over 64 KB" in line
               for line in lines), lines[-5:]
    assert peak < 400 * 2**20, f"the worker reached {peak / 2**20:.0f} MB"
