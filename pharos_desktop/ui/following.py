"""While the window is open it follows the repositories it lists, as `pharos-desktop watch` does (engine/live/):
local folders as files are saved and HEAD moves, remotes every live_remote_minutes. Each update is a job in the
window's queue, so it runs in a child process like any ingest, waits its turn behind the user's own, shows as a
card in Activity and can be cancelled there. The pause switch and the battery hold it back as they hold back
all automatic work; the live_in_window setting turns it off (for those who run `pharos-desktop watch`)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..engine.errors import Cancelled, PharosError
from ..engine.index.catalog import RepoRecord
from ..engine.live.remote import RemoteFollower
from ..engine.live.watcher import LiveIndex
from ..engine.run.cancel import CancelToken
from ..engine.run.events import IngestSummary
from ..engine.run.task import Task
from ..engine.states import RepoState
from ..engine.workspace import Workspace
from .bridge import EventBridge
from .job_queue import JobQueue

CANCELLED = "the update was cancelled; the next change updates it again"
WAIT_STEP = 0.25  # seconds: how soon a follower that is stopping stops waiting for its update's job


@dataclass
class _Asked:
    """One update a follower thread asks the window's queue for, and its outcome."""

    source: str
    branch: str | None
    title: str
    done: threading.Event = field(default_factory=threading.Event)
    summary: IngestSummary | None = None
    error: str = ""


class Following(QObject):
    reported = Signal(str, str)  # repository name, one line (from the followers' threads)
    _asked = Signal(object)  # an _Asked, from a follower's thread to the UI thread

    def __init__(self, workspace: Workspace, queue: JobQueue, bridge: EventBridge,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.queue = workspace, queue
        self.enabled = workspace.settings.live_in_window
        self._cancel: CancelToken | None = None
        self._followed: frozenset = frozenset()
        self._waiting: dict[str, _Asked] = {}  # job id -> the update waiting for it
        self._asked.connect(self._enqueue)  # queued: emitted on a follower's thread, received on the UI's
        bridge.finished.connect(lambda event: self._ended(event.job_id, summary=event.summary))
        bridge.failed.connect(lambda event: self._ended(event.job_id, error=event.message))
        bridge.cancelled.connect(lambda event: self._ended(event.job_id, error=CANCELLED))

    @property
    def active(self) -> bool:
        return self._cancel is not None

    def follow(self, repos: list[RepoRecord]) -> None:
        """UI thread: follow these repositories (those the window lists); nothing is done when they are the ones
        followed already. Only ready ones: a first ingest, or a failed one, is the user's to finish."""
        if not self.enabled:
            return self.stop()
        ready = [repo for repo in repos if repo.state == RepoState.READY
                 and (repo.kind != "local" or Path(repo.checkout_path).is_dir())]
        wanted = frozenset((repo.repo_id, repo.kind, repo.checkout_path) for repo in ready)
        if wanted == self._followed and self.active:
            return
        self.stop()
        self._followed = wanted
        if not ready:
            return
        cancel = self._cancel = CancelToken()
        names = {repo.source: repo.name for repo in ready} | {repo.checkout_path: repo.name for repo in ready}
        update = self._update_through_queue(cancel, names)
        local = [repo for repo in ready if repo.kind == "local"]
        remote = [repo for repo in ready if repo.kind != "local"]
        workers = [LiveIndex(self.workspace, local, cancel=cancel, report=self.reported.emit, update=update)]
        workers.append(RemoteFollower(self.workspace, remote, cancel=cancel, report=self.reported.emit, update=update))
        for worker in workers:
            threading.Thread(target=worker.run, name=f"pharos-{type(worker).__name__}", daemon=True).start()

    def stop(self) -> None:
        """The followers stop (within a second); an update they asked for and the queue holds goes on."""
        if self._cancel is not None:
            self._cancel.cancel()
            self._cancel = None
        self._followed = frozenset()

    def close(self) -> None:
        """The window closes: no follower left, and no automatic update left running in a child process."""
        self.stop()
        for job_id in list(self._waiting):
            self.queue.cancel(job_id)

    # -- one update ------------------------------------------------------------------------------

    def _update_through_queue(self, cancel: CancelToken, names: dict[str, str]):
        def update(source: str, branch: str | None, task: Task) -> IngestSummary:
            """On a follower's thread: the update as a job of the window's queue, waited for."""
            asked = _Asked(source, branch, f"Update {names.get(source, os.path.basename(source))}")
            self._asked.emit(asked)
            while not asked.done.wait(WAIT_STEP):
                if cancel.cancelled:  # this follower stops; the job it asked for goes on in the queue
                    raise Cancelled()
            if asked.summary is None:
                raise PharosError(asked.error)
            return asked.summary

        return update

    def _enqueue(self, asked: _Asked) -> None:
        job = self.queue.ingest(asked.source, asked.branch, title=asked.title, automatic=True)
        self._waiting[job.job_id] = asked

    def _ended(self, job_id: str, summary: IngestSummary | None = None, error: str = "") -> None:
        asked = self._waiting.pop(job_id, None)
        if asked is not None:
            asked.summary, asked.error = summary, error
            asked.done.set()
