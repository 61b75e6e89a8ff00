"""Real command-line processes stopped with real signals: SIGTERM cancels like Ctrl-C (git ends, the
temporary clone goes, the job is cancelled, exit 130); one Ctrl-C leaves the job cancelled; a job left
'running' is marked interrupted by the next start only once its process is really gone."""

from __future__ import annotations

import os
import signal
import sqlite3

import pytest

from pharos_desktop.engine.index.catalog import Catalog
from pharos_desktop.engine.jobs import JobsTable
from pharos_desktop.tools.sample_repos import make_package_repo

from .cli_support import cli, git_processes, job_states, query, start_cli, wait_until

pytestmark = pytest.mark.usefixtures("hermetic_git")  # shared fixture: tests/conftest.py


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_one_signal_during_a_clone_cancels_it_cleanly(signum, stalled_server, tmp_path):
    home = tmp_path / "home"
    process = start_cli("ingest", stalled_server + "/repo.git", home=home)
    port = stalled_server.rsplit(":", 1)[1]
    wait_until(lambda: git_processes(port) and list((home / "clones").glob(".*.tmp-*")), "git to start cloning")
    os.killpg(process.pid, signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1].startswith("cancelled")
    assert job_states(home) == ["cancelled"]
    assert not list((home / "clones").iterdir())  # the temporary clone is gone
    wait_until(lambda: not git_processes(port), "git to end", seconds=5)


def test_one_ctrl_c_while_embedding_leaves_the_job_cancelled(tmp_path):
    home = tmp_path / "home"
    repo = make_package_repo(tmp_path / "httpx-repo", "httpx", limit=30)
    # small batches: the first file is stored early and most of the work is still ahead when Ctrl-C comes
    process = start_cli("ingest", str(repo), home=home, extra={"PHAROS_BATCH_SIZE": "8"})
    wait_until(lambda: query(home, "SELECT 1 FROM files WHERE chunk_count > 0"), "the first stored file")
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole foreground group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert job_states(home) == ["cancelled"]
    assert [row[0] for row in query(home, "SELECT state FROM repos")] == ["interrupted"]
    assert query(home, "SELECT COUNT(*) FROM files WHERE chunk_count > 0")[0][0] < 30  # it stopped part way


def test_a_running_job_is_interrupted_only_once_its_process_is_gone(stalled_server, tmp_path):
    home = tmp_path / "home"
    process = start_cli("ingest", stalled_server + "/repo.git", home=home)
    try:
        wait_until(lambda: job_states(home) == ["running"], "the job to start")
        assert cli("repos", home=home).returncode == 0  # a command line starts meanwhile
        JobsTable(Catalog(home / "catalog.sqlite")).mark_stale_interrupted()  # what a window runs at its start
        assert job_states(home) == ["running"]  # alive in another process: never marked interrupted
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert job_states(home) == ["running"]  # what a killed process leaves behind
    assert cli("repos", home=home).returncode == 0
    assert job_states(home) == ["interrupted"]


def test_a_reused_pid_does_not_keep_a_dead_job_alive(tmp_path, workspace):
    """The row names the pid and its start time: this test process's pid with another start time is
    someone else, so the job it names is gone."""
    from pharos_desktop.engine.run.owner import this_process

    jobs = workspace.jobs
    jobs.start("mine", "ingest", None, {})
    jobs.start("old", "ingest", None, {})
    me = this_process()
    with sqlite3.connect(workspace.catalog.path) as conn:
        conn.execute("UPDATE jobs SET owner_started = ? WHERE job_id = 'old'", (me.started - 3600,))
        conn.execute("INSERT INTO jobs (job_id, kind, state, started_at, owner_host, owner_pid, owner_started) "
                     "VALUES ('elsewhere', 'ingest', 'running', 0, 'another-host', 1, 1)")
    assert jobs.mark_stale_interrupted() == 1
    assert jobs.states() == {"mine": "running", "old": "interrupted", "elsewhere": "running"}


def test_ctrl_c_stops_a_command_whose_parent_ignored_it(tmp_path):
    """A parent that ignores SIGINT (a script's background job, some IDEs and service managers) hands that on;
    the command still stops on Ctrl-C, rather than only on SIGKILL."""
    import subprocess
    import sys

    from pharos_desktop.tools.sample_repos import commit_all, init_repo

    home = tmp_path / "home"
    repo = tmp_path / "repo"
    init_repo(repo).close()
    (repo / "bell.py").write_text("def ring_the_bell():\n    return 'ding'\n")
    commit_all(repo, "a bell")
    assert cli("ingest", str(repo), home=home).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_") or k == "PHAROS_MODEL_CACHE"}
    process = subprocess.Popen([sys.executable, "-m", "pharos_desktop", "watch"], env={**env, "PHAROS_HOME": str(home)},
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert process.stderr.readline().startswith("watching 1 folder")
    os.killpg(process.pid, signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    # stopped as Ctrl-C stops it: at once when idle, or cancelled (130) while it was looking at the folder
    assert (process.returncode, stderr.strip().splitlines()[-1]) in ((0, "stopped watching"), (130, "cancelled")), stderr
