"""The live index and remotes, through a real `git daemon` on 127.0.0.1 and real pushes to what it serves: a
remote repository is looked at with one ls-remote and updated only when its branch moved; a local clone that
the user pulls into is followed by the watcher. What `repos` says at each step is checked too."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import anyio
import pytest

from pharos_desktop.engine.errors import PharosError
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.live.remote import RemoteFollower
from pharos_desktop.engine.live.status import repo_status
from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.settings import Settings
from pharos_desktop.engine.source import parse_source
from pharos_desktop.engine.states import JobKind
from pharos_desktop.tools.sample_repos import add_commit

from .cli_support import cli, query, wait_until
from .mcp_support import stdio_client
from .test_live import ended, finished, function, ingested, ingests, make_repo, reported, symbols, watch_process, watching


def push(work: Path, bare: Path) -> None:
    """What a colleague's `git push` does to the served repository (git daemon serves reads only)."""
    subprocess.run(["git", "-C", str(work), "push", "-q", str(bare), "HEAD:main"], check=True)


def follower(workspace, repo, lines: list[str]) -> RemoteFollower:
    return RemoteFollower(workspace, [repo], cancel=CancelToken(), report=lambda name, line: lines.append(line))


def test_a_remote_is_updated_only_when_its_branch_moved(workspace, git_daemon, tmp_path):
    work = make_repo(tmp_path / "work")
    url = git_daemon.publish(work, "project")
    Ingestor(workspace).ingest(url, task=Task(JobKind.INGEST))
    repo = workspace.catalog.find_repo(parse_source(url).repo_id)
    first = repo.commit
    settings, lines = Settings.load(), []
    assert settings.live_remote_minutes == 60  # the default interval

    # nothing moved: one look, no update, and the status says when it looked
    before = ingests(workspace)
    assert follower(workspace, repo, lines).follow(repo, settings) is False
    assert ingests(workspace) == before and lines == []
    assert repo_status(workspace, workspace.catalog.find_repo(repo.repo_id)) == \
        f"up to date with {first[:10]}, checked just now"

    moved = add_commit(work, {"src/gamma.py": function("gamma_collector"), "src/alpha.py": None}, "gamma")
    push(work, git_daemon.root / "project.git")
    follow = follower(workspace, repo, lines)
    follow.follow_due()  # looked at moments ago: not due for another hour
    assert ingests(workspace) == before
    follow.follow_due(now=time.time() + 3601)  # an hour later
    assert ingests(workspace) == before + 1
    now = workspace.catalog.find_repo(repo.repo_id)
    assert now.commit == moved
    assert "gamma_collector" in symbols(workspace, repo) and "alpha_parser" not in symbols(workspace, repo)
    assert lines[0] == "behind by 1 commit: updating"
    assert lines[1].startswith(f"up to date with {moved[:10]}, checked just now (updated in ")
    assert lines[1].endswith(", 1 chunks embedded)")  # the one new function; beta's was not embedded again


def test_a_remote_that_cannot_be_reached_says_so(workspace, git_daemon, tmp_path):
    work = make_repo(tmp_path / "work")
    url = git_daemon.publish(work, "project")
    Ingestor(workspace).ingest(url, task=Task(JobKind.INGEST))
    repo = workspace.catalog.find_repo(parse_source(url).repo_id)
    git_daemon.stop()
    lines = []
    assert follower(workspace, repo, lines).follow(repo, Settings.load()) is False
    (line,) = lines
    assert line.startswith("check failed: ") and "Traceback" not in line
    assert repo_status(workspace, workspace.catalog.find_repo(repo.repo_id)) == line  # `repos` says the same


def test_paused_remote_checks_wait(workspace, git_daemon, tmp_path):
    work = make_repo(tmp_path / "work")
    url = git_daemon.publish(work, "project")
    Ingestor(workspace).ingest(url, task=Task(JobKind.INGEST))
    repo = workspace.catalog.find_repo(parse_source(url).repo_id)
    add_commit(work, {"src/gamma.py": function("gamma_collector")}, "gamma")
    push(work, git_daemon.root / "project.git")
    settings = Settings.load()
    settings.live_paused = True
    settings.save()
    before = ingests(workspace)
    follower(workspace, repo, []).follow_due(now=time.time() + 3601)
    assert ingests(workspace) == before
    assert repo_status(workspace, repo, Settings.load()).startswith(f"paused (up to date with {repo.commit[:10]}")


def test_a_git_pull_from_a_git_daemon_is_followed(workspace, git_daemon, tmp_path):
    work = make_repo(tmp_path / "work")
    url = git_daemon.publish(work, "project")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", url, str(clone)], check=True)
    repo = ingested(workspace, clone)
    with watching(workspace, repo):
        pulled = add_commit(work, {"src/delta.py": function("delta_merger")}, "delta")
        push(work, git_daemon.root / "project.git")
        subprocess.run(["git", "-C", str(clone), "pull", "-q", "--ff-only"], check=True)
        wait_until(lambda: finished(workspace, repo).commit == pulled, "the index to follow the pull")
        assert "delta_merger" in symbols(workspace, repo)
    assert repo_status(workspace, workspace.catalog.find_repo(repo.repo_id)).startswith(
        f"up to date with {pulled[:10]}, checked")


@pytest.mark.slow
def test_sync_after_each_update_publishes_it_to_the_real_cloud(workspace, git_daemon, tmp_path, real_cloud,
                                                                monkeypatch):
    monkeypatch.setenv("PHAROS_TOKEN", real_cloud.token)
    workspace.settings.api_url = real_cloud.api_url
    work = make_repo(tmp_path / "work")
    url = git_daemon.publish(work, "project")
    Ingestor(workspace).ingest(url, task=Task(JobKind.INGEST))
    repo = workspace.catalog.find_repo(parse_source(url).repo_id)
    assert real_cloud.resources() == []  # an ingest alone publishes nothing
    add_commit(work, {"src/gamma.py": function("gamma_collector"), "src/alpha.py": None}, "gamma")
    push(work, git_daemon.root / "project.git")
    settings, lines = Settings.load(), []
    settings.live_sync_after = True
    assert follower(workspace, repo, lines).follow(repo, settings) is True
    assert lines[-1].startswith("synced: "), lines
    published = {row["identifier"] for row in real_cloud.resources()}
    assert {"src/beta.py", "src/gamma.py"} <= published and "src/alpha.py" not in published


def test_watch_follows_a_remote_that_moved_while_it_was_not_running(workspace, pharos_home, git_daemon, tmp_path):
    work = make_repo(tmp_path / "work")
    url = git_daemon.publish(work, "project")
    Ingestor(workspace).ingest(url, task=Task(JobKind.INGEST))
    moved = add_commit(work, {"src/gamma.py": function("gamma_collector")}, "gamma")
    push(work, git_daemon.root / "project.git")
    process = watch_process(pharos_home)  # no REPO: every repository ingested; a remote is looked at first thing
    try:
        wait_until(lambda: query(pharos_home, "SELECT commit_sha, state FROM repos") == [(moved, "ready")],
                   "watch to update the remote that moved")
        wait_until(lambda: reported(process, "chunks embedded)"), "watch to say so")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
    stderr = ended(process)
    assert process.returncode == 0, stderr
    assert stderr.startswith("following 1 remote repository every 60 min: project (Ctrl-C stops)\n")
    assert "project: behind by 1 commit: updating" in stderr


def shown_everywhere(home: Path, workspace) -> set[str]:
    """The repository's status words as the window's list, `repos` and the assistants' list_repositories show them."""
    from pharos_desktop.ui.live_status import load_statuses

    async def assistants() -> str:
        async with stdio_client(home) as client:
            (entry,) = (await client.call_tool("list_repositories", {})).structured_content["repositories"]
            return entry["status"]

    (window,) = load_statuses(workspace)[1].values()
    (listed,) = json.loads(cli("repos", "--json", home=home).stdout)
    return {window, listed["status"], anyio.run(assistants)}


def test_a_remote_index_says_how_many_commits_it_is_behind_until_it_catches_up(workspace, pharos_home, git_daemon,
                                                                               tmp_path):
    work = make_repo(tmp_path / "work")
    url = git_daemon.publish(work, "project")
    Ingestor(workspace).ingest(url, task=Task(JobKind.INGEST))
    repo = workspace.catalog.find_repo(parse_source(url).repo_id)
    add_commit(work, {"src/gamma.py": function("gamma_collector")}, "gamma")
    add_commit(work, {"src/delta.py": function("delta_merger")}, "delta")
    push(work, git_daemon.root / "project.git")
    lines: list[str] = []

    # the look saw the branch move: the commits since are fetched and counted; the update is pending
    check = follower(workspace, repo, lines).look(repo, None, Settings.load(), Task(JobKind.INGEST))
    assert check.behind == 2
    assert shown_everywhere(pharos_home, workspace) == {"behind by 2 commits"}
    settings = Settings.load()
    settings.live_paused = True
    settings.save()
    assert shown_everywhere(pharos_home, workspace) == {"paused (behind by 2 commits)"}
    settings.live_paused = False
    settings.save()

    git_daemon.stop()  # the next look fails: the index is still as far behind as the last one found
    assert follower(workspace, repo, lines).follow(repo, Settings.load()) is False
    (failed,) = shown_everywhere(pharos_home, workspace)
    assert failed.startswith("check failed: ") and failed.endswith(" (behind by 2 commits)")
    assert lines == [failed.removesuffix(" (behind by 2 commits)")]
    assert ingests(workspace) == 1  # none of this ran an update
    with pytest.raises(PharosError) as update_failed:  # the update itself fails: it cannot fetch either
        Ingestor(workspace).ingest(url, task=Task(JobKind.INGEST))
    assert shown_everywhere(pharos_home, workspace) == {f"check failed: {update_failed.value} (behind by 2 commits)"}
