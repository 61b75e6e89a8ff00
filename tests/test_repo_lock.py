"""Two command lines sharing a data folder: the second ingest of a repository waits for the first
(saying so) and both finish with an intact clone; another repository is not held up."""

from __future__ import annotations

import json

import git
import pytest

from .cli_support import job_states, start_cli, wait_until
from .git_server import GitServer
from .repo_factory import make_sample_repo

pytestmark = pytest.mark.usefixtures("hermetic_git")  # shared fixture: tests/conftest.py

WAITING = "is being ingested or synced by another window or command"


def test_one_ingest_per_repository_at_a_time(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    upstream = make_sample_repo(tmp_path / "upstream")
    for name in ("one.git", "two.git"):
        git.Repo.clone_from(upstream, served / name, bare=True)
    server = GitServer(served, delay=6)  # the first clone's first request hangs for a while
    home = tmp_path / "home"
    try:
        first = start_cli("ingest", server.url + "/one.git", "--json", home=home)
        wait_until(lambda: job_states(home) == ["running"] and server.paths, "the first ingest to start cloning")
        second = start_cli("ingest", server.url + "/one.git", "--json", home=home)
        other = start_cli("ingest", server.url + "/two.git", "--json", home=home)
        results = [process.communicate(timeout=300) for process in (first, second, other)]
    finally:
        server.close()
    for process, (stdout, stderr) in zip((first, second, other), results):
        assert process.returncode == 0, stderr
    (one, first_err), (again, second_err), (two, other_err) = [(json.loads(out), err) for out, err in results]
    assert WAITING in second_err and WAITING not in first_err and WAITING not in other_err
    assert one["repo_id"] == again["repo_id"] != two["repo_id"]
    assert one["chunks"] == again["chunks"] == two["chunks"] > 0
    clones = sorted(p.name for p in (home / "clones").iterdir())
    assert clones == sorted([one["repo_id"], two["repo_id"]])  # no temporary clone left, none half-deleted
    assert git.Repo(home / "clones" / one["repo_id"]).head.commit.hexsha == one["commit"]
    assert sorted(job_states(home)) == ["done", "done", "done"]
