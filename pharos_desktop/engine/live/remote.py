"""Follow remote repositories: every ``live_remote_minutes`` one cheap look at each remote (git ls-remote: a
round trip, no objects), and only when its branch moved, the update an Ingest makes (a depth-1 fetch of the
clone, then the incremental re-ingest: unchanged files are not read again). With ``live_sync_after`` on, each
update is then published to the cloud. What each look found is recorded (checks.py) for every status reader.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from ..errors import Cancelled, PharosError
from ..index.catalog import RepoRecord
from ..run.cancel import CancelToken
from ..run.events import Emit, ignore_events
from ..run.task import Task
from ..settings import Settings
from ..run.repo_lock import repo_lock
from ..source import commits_behind, parse_source, remote_commit
from ..states import JobKind
from ..workspace import Workspace
from .checks import Check, read_checks, record_check
from .manners import held_back
from .publish import publish_update
from .status import remote_behind, repo_status
from .update import Update, in_this_process

log = logging.getLogger(__name__)

LOOK_SECONDS = 30.0  # how often the loop wakes to see whether a look is due (and the settings again)


class RemoteFollower:
    """Follow these remote repositories until ``cancel`` is set; ``report(name, line)`` says what happened."""

    def __init__(self, workspace: Workspace, repos: list[RepoRecord], *, cancel: CancelToken,
                 report: Callable[[str, str], None], emit: Emit = ignore_events,
                 load_settings: Callable[[], Settings] = Settings.load, update: Update | None = None) -> None:
        self.workspace, self.repos, self.cancel, self.report, self.emit = workspace, repos, cancel, report, emit
        self.load_settings = load_settings
        self.update = update or in_this_process(workspace)

    def run(self) -> None:
        """Blocking, until ``cancel`` is set."""
        try:
            while not self.cancel.cancelled:
                self.follow_due()
                self.cancel.wait(LOOK_SECONDS)
        except Cancelled:
            pass

    def follow_due(self, now: float | None = None) -> None:
        """Look at each remote whose last look is older than the interval; update those that moved."""
        try:
            settings = self.load_settings()
        except PharosError as exc:  # settings.json half-written by an editor: look again later
            log.info("remote checks wait: %s", exc)
            return
        if not settings.live_remote_minutes or held_back(settings):
            return
        now = time.time() if now is None else now
        checks = read_checks(self.workspace.data_folder)
        for repo in self.repos:
            self.cancel.raise_if_cancelled()
            last = checks.get(repo.repo_id)
            if last is None or now - last.at >= settings.live_remote_minutes * 60:
                self.follow(repo, settings)

    def follow(self, repo: RepoRecord, settings: Settings) -> bool:
        """One look at ``repo``'s remote, and its update when the branch moved. True when it was updated."""
        repo = self.workspace.catalog.find_repo(repo.repo_id) or repo
        # A repository ingested without a branch follows the remote's default branch (and is another repository
        # than the same URL ingested with one: the id holds the branch asked for).
        branch = None if parse_source(repo.source).repo_id == repo.repo_id else repo.branch
        task = Task(JobKind.INGEST, self.emit, self.cancel)
        check = self.look(repo, branch, settings, task)
        if check is None:
            return False
        self.report(repo.name, f"{remote_behind(repo, check)}: updating")
        try:
            summary = self.update(repo.source, branch, task)
        except Cancelled:
            raise
        except PharosError as exc:
            self.report(repo.name, f"check failed: {exc}")
            return False
        record_check(self.workspace.data_folder, repo.repo_id, head=summary.commit)
        now = self.workspace.catalog.find_repo(repo.repo_id)
        words = repo_status(self.workspace, now, settings) if now else "gone from the catalog"
        self.report(repo.name, f"{words} (updated in {summary.seconds:.1f} s, {summary.embedded} chunks embedded)")
        if settings.live_sync_after:
            publish_update(self.workspace, repo.repo_id, repo.name, cancel=self.cancel, emit=self.emit,
                           report=self.report)
        return True

    def look(self, repo: RepoRecord, branch: str | None, settings: Settings, task: Task) -> Check | None:
        """The cheap look (ls-remote), recorded; when the branch moved, the commits since the indexed one are
        fetched and counted, so that the status says how far behind the index is until it has caught up.
        The check when the branch moved, else None."""
        from ..ingest import git_access  # the ingest path, only once something is to be done

        spec = parse_source(repo.source, branch)
        access = git_access(settings, task)
        try:
            head = remote_commit(spec, branch or "", access=access, cancel=self.cancel,
                                 clones_dir=self.workspace.clones_dir)
        except Cancelled:
            raise
        except PharosError as exc:
            record_check(self.workspace.data_folder, repo.repo_id, error=str(exc))
            self.report(repo.name, f"check failed: {exc}")
            return None
        if not head or head == repo.commit:
            record_check(self.workspace.data_folder, repo.repo_id, head=head)
            log.debug("%s: the remote did not move", repo.name)
            return None
        try:  # in the clone an update uses: held as an update holds it
            with repo_lock(self.workspace.data_folder, repo.repo_id, cancel=self.cancel, on_wait=lambda: None):
                behind = commits_behind(spec, branch or "", head, repo.commit, access=access, cancel=self.cancel,
                                        clones_dir=self.workspace.clones_dir)
        except Cancelled:
            raise
        except PharosError as exc:  # the update fetches again, and says what is wrong if it is
            log.info("%s: the commits since %s could not be counted: %s", repo.name, repo.commit[:10], exc)
            behind = None
        return record_check(self.workspace.data_folder, repo.repo_id, head=head, indexed=repo.commit, behind=behind)
