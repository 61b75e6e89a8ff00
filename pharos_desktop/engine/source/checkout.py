"""A working tree for a ``SourceSpec``: the folder itself, or a shallow clone made or brought up to date.

How git is run (environment, options, the token, deadlines, cancel): ../git.py. What a failure means:
git_errors.py. The token is never in a URL, an argument, ``.git/config``, an event or a message.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..run.cancel import CancelToken
from ..errors import DiskFull, SourceError
from .git import (GitAccess, Stalled, git_env, in_git_work_tree, local_git, network_options, progress_reporter,
                  run_git)
from .git_errors import clone_error
from .spec import SourceSpec, repo_id

if TYPE_CHECKING:
    from ..run.task import Task

LOW_SPACE = 64 * 2**20  # after git failed to write: less than this free means the disk is why
_BRANCH_RE = re.compile(r"[^\s~^:?*\[\\]+")  # what git allows in a branch name, roughly


@dataclass
class Checkout:
    path: Path
    commit: str  # HEAD sha, "" for a plain folder
    branch: str  # checked-out branch, "" when detached or a plain folder
    is_clone: bool
    uncommitted: bool = False  # a local folder whose files differ from its commit (edited, added, deleted)


def _head(path: Path) -> tuple[str, str]:
    code, commit = local_git(["rev-parse", "--verify", "-q", "HEAD"], path)
    _, branch = local_git(["symbolic-ref", "--short", "-q", "HEAD"], path)
    return (commit if code == 0 else ""), branch


def _open_local(spec: SourceSpec, branch: str | None) -> Checkout:
    path = Path(spec.location)
    if not path.is_dir():
        raise SourceError(f"folder does not exist: {path}")
    in_git = in_git_work_tree(path)
    commit, current = _head(path) if in_git else ("", "")
    if branch and branch != current:
        where = f"has '{current}' checked out" if current else "is not on a git branch"
        raise SourceError(f"{path} {where}: local folders are read as they are on disk, so --branch "
                          f"'{branch}' cannot apply; check it out there first, or give the repository's URL")
    return Checkout(path, commit, current, is_clone=False, uncommitted=in_git and uncommitted(path))


def uncommitted(path: Path) -> bool:
    """Whether a work tree's files differ from its commit: the index is then of the working tree. Untracked
    files count (the scan reads them); ignored ones do not. --no-optional-locks: a look, never a write to
    .git/index, which would race the user's own git commands (and wake the live index's watcher)."""
    code, out = local_git(["--no-optional-locks", "status", "--porcelain", "--untracked-files=normal"], path)
    return code == 0 and bool(out)


class _Git:
    """git commands for one source, with one environment and one way of naming failures."""

    def __init__(self, spec: SourceSpec, access: GitAccess, cancel: CancelToken, clones_dir: Path) -> None:
        if spec.location.startswith("file://"):
            access = replace(access, token="")  # a local path never needs one; keep it out of every process we start
        self.spec, self.access, self.cancel, self.clones_dir = spec, access, cancel, clones_dir
        self.env = git_env(access.token, spec.host, access.token_hosts)
        self.options = network_options(access.pins, access.follow_redirects)

    def network(self, args: list[str], branch: str | None, *, cwd: Path | None = None,
                on_line=None) -> str:
        try:
            code, out, lines = run_git(args, env=self.env, cancel=self.cancel, cwd=cwd, on_line=on_line,
                                       timeout=self.access.timeout, options=self.options)
        except Stalled as exc:
            raise SourceError(f"{self.spec.host or self.spec.display} stopped answering: no progress for "
                              f"{exc.seconds:g} s, so git was stopped (a slow server? raise PHAROS_GIT_TIMEOUT)") from None
        if code != 0:
            if _out_of_space(lines, self.clones_dir):
                raise DiskFull(f"disk full: free space in {self.clones_dir} (git could not write the clone of "
                               f"{self.spec.display})")
            raise clone_error(self.spec, branch, lines, self.access)
        return out

    def local(self, args: list[str], cwd: Path) -> int:
        return run_git(args, env=self.env, cancel=self.cancel, cwd=cwd)[0]


def _out_of_space(lines: list[str], folder: Path) -> bool:
    """git says only "unable to write file" when a checkout meets a full disk: ask the disk."""
    wrote = any(marker in line.lower() for line in lines for marker in ("unable to write", "write error",
                                                                        "no space left"))
    return wrote and shutil.disk_usage(folder).free < LOW_SPACE


def _default_branch(git: _Git) -> str:
    """The remote's default branch now (it may have changed since we cloned); "" if it does not say."""
    out = git.network(["ls-remote", "--symref", "--", git.spec.location, "HEAD"], None)
    match = re.search(r"^ref: refs/heads/(\S+)\s+HEAD", out, re.MULTILINE)
    return match.group(1) if match else ""


def remote_commit(spec: SourceSpec, branch: str, *, access: GitAccess, cancel: CancelToken,
                  clones_dir: Path) -> str:
    """The commit ``branch`` (its default branch when "") points at on the remote now: one ls-remote, no
    objects fetched, the cheap look before an update. "" when the remote has no such branch."""
    git = _Git(spec, access, cancel, Path(clones_dir))
    ref = f"refs/heads/{branch}" if branch else "HEAD"
    out = git.network(["ls-remote", "--", spec.location, ref], branch or None)
    return next((line.split()[0] for line in out.splitlines() if line.endswith(f"\t{ref}")), "")


def _update(git: _Git, branch: str | None, dest: Path, task: Task) -> None:
    target = branch or _default_branch(git) or _head(dest)[1]
    if not target:
        return _clone(git, branch, dest, task)
    task.message(f"updating the existing clone ({target})")
    refspec = f"+refs/heads/{target}:refs/remotes/origin/{target}"
    git.network(["fetch", "--depth", "1", "--no-tags", "--progress", "origin", refspec], target, cwd=dest,
                on_line=progress_reporter(task))
    for args in (["checkout", "-q", "-f", "-B", target, f"refs/remotes/origin/{target}"],
                 ["reset", "-q", "--hard", f"refs/remotes/origin/{target}"], ["clean", "-q", "-ffdx"]):
        if git.local(args, dest) != 0:  # a damaged clone (disk full, killed mid-checkout): start over
            task.message("the existing clone could not be updated; cloning again", "warning")
            return _clone(git, branch, dest, task)
    return None


def _clone(git: _Git, branch: str | None, dest: Path, task: Task) -> None:
    # Cloned beside the destination and renamed at the end: a killed clone leaves only a ".tmp-" folder,
    # swept here. Only one ingest of a repository runs at a time (ingest.py), so none of these is in use.
    for stale in dest.parent.glob(f".{dest.name}.tmp-*"):
        remove_tree(stale)
    temp = dest.parent / f".{dest.name}.tmp-{uuid.uuid4().hex[:8]}"
    spec = git.spec
    task.message(f"cloning {spec.display}" + (f" ({branch})" if branch else "") + " with depth 1")
    args = ["clone", "--depth", "1", "--single-branch", "--no-tags", "--progress"]
    if branch:
        args += ["--branch", branch]
    try:
        git.network(args + ["--", spec.location, str(temp)], branch, on_line=progress_reporter(task))
        remove_tree(dest)
        os.replace(temp, dest)
    finally:
        remove_tree(temp)


def open_source(spec: SourceSpec, branch: str | None, clones_dir: Path, *, access: GitAccess = GitAccess(),
                task: Task) -> Checkout:
    """A working tree for ``spec``: the folder itself, or a fresh / updated shallow clone."""
    task.raise_if_cancelled()
    branch = (branch or "").strip() or None  # an empty field in the window means the default branch
    if branch is not None and (branch.startswith("-") or ".." in branch or not _BRANCH_RE.fullmatch(branch)):
        raise SourceError(f"not a valid branch name: {branch!r}")
    if spec.kind == "local":
        return _open_local(spec, branch)
    clones_dir = Path(clones_dir)
    clones_dir.mkdir(parents=True, exist_ok=True)
    dest = clones_dir / spec.repo_id
    git = _Git(spec, access, task.cancel, clones_dir)
    code, url = local_git(["config", "--get", "remote.origin.url"], dest) if (dest / ".git").is_dir() else (1, "")
    if code == 0 and repo_id(url, None) == repo_id(spec.location, None):
        _update(git, branch, dest, task)
    else:
        _clone(git, branch, dest, task)
    commit, current = _head(dest)
    return Checkout(dest, commit, current, is_clone=True)


def remove_tree(path: Path, attempts: int = 10) -> None:
    """Delete a clone. git marks pack files read-only (Windows refuses to delete those, and a read-only
    folder stops it everywhere), and on Windows a virus scanner or indexer may hold a file for a moment:
    make things writable, retry briefly, then say which folder could not go."""

    def writable(func, target, _exc) -> None:
        for item in (os.path.dirname(target), target):
            try:
                os.chmod(item, stat.S_IRWXU)
            except OSError:
                pass
        func(target)

    for attempt in range(attempts):
        if not os.path.lexists(path):
            return
        try:
            shutil.rmtree(path, onerror=writable)
            return
        except OSError as exc:
            if attempt == attempts - 1:
                raise SourceError(f"cannot delete {path}: {exc.strerror or exc}; close programs using it "
                                  "and try again") from exc
            time.sleep(0.1 * (attempt + 1))


def commits_behind(spec: SourceSpec, branch: str, head: str, indexed: str, *, access: GitAccess,
                   cancel: CancelToken, clones_dir: Path) -> int | None:
    """How many commits the remote's ``head`` is past ``indexed``, once its history since ``indexed`` was fetched
    into the clone (the update then fetches none of it again). None when that cannot be told: no clone, or
    ``indexed`` is not in ``head``'s history (a force push). The caller holds the repository's lock."""
    dest = Path(clones_dir) / spec.repo_id
    if not (dest / ".git").is_dir() or not indexed:
        return None
    git = _Git(spec, access, cancel, Path(clones_dir))
    code, since = local_git(["log", "-1", "--format=%ct", indexed], dest)
    if code != 0:
        return None
    # the commits since the indexed one's time: a depth would fetch as many older ones too
    git.network(["fetch", f"--shallow-since={since}", "--no-tags", "origin", branch or "HEAD"], branch or None,
                cwd=dest)
    if local_git(["merge-base", "--is-ancestor", indexed, head], dest)[0] != 0:
        return None
    code, count = local_git(["rev-list", "--count", f"{indexed}..{head}"], dest)
    return int(count) if code == 0 and count.isdigit() else None
