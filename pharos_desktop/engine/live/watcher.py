"""Follow local folders as they change: the OS's file events (watchdog), gathered until a burst is over,
then one incremental re-ingest of the repository through the Ingestor, which takes the repository's lock
(run/repo_lock.py) like every ingest, so the watcher, a manual ingest, the worker and a sync never work on
one repository at once.

What costs no work: events git or a build makes where the scan reads nothing (.git/ internals, node_modules/,
target/, files git ignores, files skipped for their name: files/scan.worth_reading), and reads (opened,
closed). What does: a file created, edited, deleted or renamed, and HEAD moving (a commit, a branch switch,
a pull, a reset), which makes the index record the new commit even when no file changed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..errors import Cancelled, PharosError
from ..files.scan import EXCLUDED_FOLDERS, worth_reading
from ..index.catalog import RepoRecord
from ..run.cancel import CancelToken
from ..run.events import Emit, ignore_events
from ..run.task import Task
from ..settings import Settings
from ..states import JobKind, RepoState
from ..workspace import Workspace
from .manners import held_back
from .publish import publish_update
from .status import behind_by, repo_status
from .update import Update, in_this_process

log = logging.getLogger(__name__)

QUIET_SECONDS = 0.3  # a burst (a save, a checkout, a build) is over once no event came for this long
LONGEST_WAIT = 2.0  # under endless churn, work starts at the latest this long after the first change
HELD_LOOK_SECONDS = 2.0  # while paused or on battery: how often to look at the switch again
IDLE_LOOK_SECONDS = 0.5  # how soon a stop is noticed when nothing happens
CHANGES = frozenset({"created", "deleted", "modified", "moved"})  # not opened/closed: the ingest's own reads
GIT_STATE = (".git/HEAD", ".git/packed-refs")  # with .git/refs/heads/*: where HEAD moving shows


def classify(rel: str, is_directory: bool) -> str:
    """"head" (HEAD or a branch moved), "file" (a change the scan may read) or "" (noise)."""
    if rel == ".git" or rel.startswith(".git/"):
        return "head" if rel in GIT_STATE or rel.startswith(".git/refs/heads/") else ""
    parts = rel.split("/")
    folders = parts if is_directory else parts[:-1]
    return "" if any(part in EXCLUDED_FOLDERS for part in folders) else "file"


@dataclass
class Watched:
    """One folder followed, and the changes gathered since its last update."""

    repo_id: str
    name: str
    root: Path
    paths: set[str] = field(default_factory=set)
    head_moved: bool = False
    first: float = 0.0  # when the first change of this burst came (0: nothing gathered)
    last: float = 0.0

    def due_in(self, now: float) -> float | None:
        if not self.first:
            return None
        return max(0.0, min(self.last + QUIET_SECONDS, self.first + LONGEST_WAIT) - now)


class _Events(FileSystemEventHandler):
    """watchdog's thread: sorts each event and hands what matters to the loop, nothing more."""

    def __init__(self, live: LiveIndex, watched: Watched) -> None:
        self.live, self.watched = live, watched
        self.root = os.fspath(watched.root)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in CHANGES or (event.is_directory and event.event_type == "modified"):
            return  # a folder's own time moves with every file in it: the file's event says more
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                rel = os.path.relpath(os.fsdecode(path), self.root).replace(os.sep, "/")
                kind = classify(rel, event.is_directory)
                if kind:
                    self.live.note(self.watched, rel, kind == "head")


class LiveIndex:
    """Watch these local repositories until ``cancel`` is set; ``report(name, line)`` says what happened."""

    def __init__(self, workspace: Workspace, repos: list[RepoRecord], *, cancel: CancelToken,
                 report: Callable[[str, str], None], emit: Emit = ignore_events,
                 load_settings: Callable[[], Settings] = Settings.load, update: Update | None = None) -> None:
        self.workspace, self.cancel, self.report, self.emit = workspace, cancel, report, emit
        self.load_settings = load_settings
        self.update = update or in_this_process(workspace)
        self.watched = [Watched(r.repo_id, r.name, Path(r.checkout_path)) for r in repos]
        self._lock = threading.Lock()
        self._woken = threading.Event()
        self._held = ""

    def note(self, watched: Watched, rel: str, head_moved: bool) -> None:
        now = time.monotonic()
        with self._lock:
            watched.first = watched.first or now
            watched.last = now
            if head_moved:
                watched.head_moved = True
            else:
                watched.paths.add(rel)
        self._woken.set()

    def run(self) -> None:
        """Blocking: until ``cancel`` is set. An update in progress then stops as any cancelled ingest does
        (what is stored is kept; the next update finishes it)."""
        observer = Observer()
        observer.start()  # first: a folder scheduled on a running observer fails there, alone, not the start
        for watched in list(self.watched):
            try:
                observer.schedule(_Events(self, watched), os.fspath(watched.root), recursive=True)
            except OSError as exc:  # the folder is gone, or the system's limit of watched folders is reached
                self.watched.remove(watched)
                self.report(watched.name, f"check failed: cannot watch {watched.root}: {exc.strerror or exc}")
        try:
            for watched in self.watched:  # what changed while nobody watched
                self._catch_up(watched)
            while not self.cancel.cancelled:
                self._step()
        except Cancelled:
            pass
        finally:
            observer.stop()
            observer.join(timeout=5)

    def _step(self) -> None:
        self._woken.clear()
        now = time.monotonic()
        with self._lock:
            waits = [w for w in (watched.due_in(now) for watched in self.watched) if w is not None]
        if not waits or min(waits) > 0:
            self._woken.wait(min([*waits, IDLE_LOOK_SECONDS]))
            return
        held = self._held_back()
        if held != self._held:
            for watched in self.watched:
                self.report(watched.name, f"{held}: changes wait" if held else "resumed")
            self._held = held
        if held:
            self.cancel.wait(HELD_LOOK_SECONDS)
            return
        for watched in self.watched:
            self.cancel.raise_if_cancelled()
            with self._lock:
                if watched.due_in(time.monotonic()) != 0:
                    continue
                paths, head_moved = sorted(watched.paths), watched.head_moved
                watched.paths, watched.head_moved, watched.first = set(), False, 0.0
            self._update(watched, paths, head_moved)

    def _catch_up(self, watched: Watched) -> None:
        """At the start: an update only where the index is behind the folder (or was left part way). A folder
        whose index is current costs one scan and no ingest: the ingest path (the vector store, the model) is
        not even imported, so watching many quiet folders stays small."""
        settings = self.workspace.settings
        repo = self.workspace.catalog.find_repo(watched.repo_id)
        try:
            behind = repo is None or repo.state != RepoState.READY or bool(behind_by(self.workspace, repo, settings))
        except PharosError:
            behind = True  # the update says what is wrong, in its one line
        if behind:
            self.note(watched, "", head_moved=True)
        else:
            self.report(watched.name, repo_status(self.workspace, repo, settings))

    def _settings_now(self, fallback: Settings) -> Settings:
        try:
            return self.load_settings()
        except PharosError:
            return fallback

    def _held_back(self) -> str:
        try:
            return held_back(self.load_settings())
        except PharosError as exc:  # settings.json half-written by an editor: wait for it
            return f"settings unreadable ({exc})"

    def _update(self, watched: Watched, paths: list[str], head_moved: bool) -> None:
        settings = self.workspace.settings
        if not head_moved:
            try:
                paths = worth_reading(watched.root, paths, settings)
            except PharosError as exc:
                self.report(watched.name, f"check failed: {exc}")
                return
            if not paths:
                log.debug("%s: nothing the index reads changed", watched.name)
                return
        task = Task(JobKind.INGEST, self.emit, self.cancel)
        try:
            summary = self.update(os.fspath(watched.root), None, task)
        except Cancelled:
            raise
        except PharosError as exc:
            self.report(watched.name, f"check failed: {exc}")
            return
        repo = self.workspace.catalog.find_repo(watched.repo_id)
        words = repo_status(self.workspace, repo, settings) if repo else "gone from the catalog"
        self.report(watched.name, f"{words} (updated in {summary.seconds:.1f} s, {summary.embedded} chunks embedded)")
        if self._settings_now(settings).live_sync_after:
            publish_update(self.workspace, watched.repo_id, watched.name, cancel=self.cancel, emit=self.emit,
                           report=self.report)
