"""What a repository's index holds now, in words the window, `repos` and `watch` all show (one place).

"up to date with <commit>, checked 3 min ago", "updating (12 files)", "behind by 2 commits", "behind by
3 changed files", "behind: the remote moved to <commit>", "paused (...)", "check failed: <reason>". A local
folder is compared with what is on disk now (its HEAD, and its files' sizes and times: the scan an unchanged
re-ingest makes), so the words are true when they are shown, not only when the index was last written; a
remote repository with the last look at its remote (checks.py), which counts the commits it is behind by
until an update has caught up: "paused (behind by 2 commits)", "check failed: <reason> (behind by 2
commits)". A repository with no indexed file never says it is up to date.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..errors import PharosError, SourceError
from ..files.scan import scan_files
from ..index.catalog import RepoRecord
from ..run.task import Task
from ..settings import Settings
from ..source.git import in_git_work_tree, local_git
from ..states import IndexedTree, JobKind, RepoState
from ..workspace import Workspace
from .checks import Check, read_checks
from .manners import held_back


def ago(seconds: float) -> str:
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def settings_now(workspace: Workspace) -> Settings:
    """The settings as they are now: a long-running reader (the window, the assistants' server) would otherwise
    show the pause switch as it was when it started. An unreadable file keeps the ones it started with."""
    try:
        return Settings.load()
    except PharosError:
        return workspace.settings


def repo_status(workspace: Workspace, repo: RepoRecord, settings: Settings | None = None,
                now: float | None = None) -> str:
    """The repository's status words. ``settings``: as they are now (the pause switch may have moved since
    the workspace opened)."""
    settings = settings or workspace.settings
    if repo.state == RepoState.INGESTING:
        return f"updating ({repo.todo} files)" if repo.todo else "updating"
    if repo.state in (RepoState.INTERRUPTED, RepoState.FAILED):
        words = ("interrupted part way: the next update finishes it" if repo.state == RepoState.INTERRUPTED
                 else f"check failed: {repo.error or 'the last update did not finish'}")
        behind = remote_behind(repo, read_checks(workspace.data_folder).get(repo.repo_id)) if repo.kind != "local" else ""
        return f"{words} ({behind})" if behind else words
    if not repo.files:
        return "not indexed yet" if repo.state == RepoState.NEW else f"no file indexed ({repo.skipped} skipped)"
    words = _freshness(workspace, repo, settings, time.time() if now is None else now)
    followed = repo.kind == "local" or settings.live_remote_minutes > 0
    held = held_back(settings) if followed else ""
    return f"{held} ({words})" if held else words


def _freshness(workspace: Workspace, repo: RepoRecord, settings: Settings, now: float) -> str:
    if repo.kind == "local":
        try:
            behind = behind_by(workspace, repo, settings)
        except PharosError as exc:
            return f"check failed: {exc}"
        if behind:
            return behind
    checked = repo.ingested_at or now
    if repo.kind != "local":
        check = read_checks(workspace.data_folder).get(repo.repo_id)
        if check and check.at >= checked:  # a look at the remote since the last update
            behind = remote_behind(repo, check)
            if check.error:
                return f"check failed: {check.error}" + (f" ({behind})" if behind else "")
            if behind:
                return behind
            checked = check.at
    what = repo.commit[:10] if repo.commit else "the folder"
    if repo.tree == IndexedTree.WORKING_TREE:
        what += " + uncommitted changes"
    return f"up to date with {what}, checked {ago(now - checked)}"


def remote_behind(repo: RepoRecord, check: Check | None) -> str:
    """How far a remote repository's index is behind what its last look found ("behind by 2 commits", or
    "behind: the remote moved to <commit>" where it could not be counted), or "" when the index holds it."""
    if check is None or not check.head or (repo.state == RepoState.READY and check.head == repo.commit):
        return ""
    # counted from the commit indexed then: still the index's own unless an update to the head has finished since,
    # or one began (its commit is written as it begins) and did not finish
    if check.behind and (check.indexed == repo.commit or repo.state != RepoState.READY):
        return f"behind by {check.behind} commit{'s' if check.behind != 1 else ''}"
    return f"behind: the remote moved to {check.head[:10]}" if check.head != repo.commit else ""


def behind_by(workspace: Workspace, repo: RepoRecord, settings: Settings) -> str:
    """How a local folder differs from its index now ("behind by 2 commits", "behind by 3 changed files"),
    or "" when it does not."""
    root = Path(repo.checkout_path)
    if not root.is_dir():
        raise SourceError(f"folder does not exist: {root}")
    if repo.commit and in_git_work_tree(root):
        _, head = local_git(["rev-parse", "--verify", "-q", "HEAD"], root)
        if head and head != repo.commit:
            code, count = local_git(["rev-list", "--count", f"{repo.commit}..HEAD"], root)
            ancestor = local_git(["merge-base", "--is-ancestor", repo.commit, "HEAD"], root)[0] == 0
            if code == 0 and ancestor:
                return f"behind by {count} commit{'s' if count != '1' else ''}"
            _, branch = local_git(["symbolic-ref", "--short", "-q", "HEAD"], root)
            return f"behind: HEAD moved to {head[:10]}" + (f" ({branch})" if branch else "")
    changed = changed_files(workspace, repo, settings)
    return f"behind by {changed} changed file{'s' if changed != 1 else ''}" if changed else ""


def changed_files(workspace: Workspace, repo: RepoRecord, settings: Settings) -> int:
    """Files added, edited or deleted on disk since the index read them: what the next update would read."""
    scan = scan_files(Path(repo.checkout_path), settings, task=Task(JobKind.INGEST))
    known = workspace.catalog.file_states(repo.repo_id)
    present = {entry.path for entry in scan.files} | {path for path, _ in scan.skipped}
    changed = sum(1 for entry in scan.files if (before := known.get(entry.path)) is None
                  or (before.size, before.mtime_ns) != (entry.size, entry.mtime_ns))
    return changed + sum(1 for path, record in known.items() if path not in present and record.skip_reason is None)
