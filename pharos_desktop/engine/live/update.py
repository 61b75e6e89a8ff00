"""How the live index runs one update: an ingest of the repository, as a function the front end chooses.

`pharos-desktop watch` hands its updates to a child process (``UpdateChild``): the model and the stores an
update loads (hundreds of MB) then live and die with the child, and the watch itself stays at the size of a
watcher. The child is kept while updates keep coming, so that the next edit does not wait for a model to load,
and let go once none came for ``LINGER_SECONDS``. The window hands each update to its job queue instead, so
that it runs in a child process like every ingest the user starts, shows as a card in Activity and can be
cancelled there. ``in_this_process`` is for tests and benchmarks that look inside one process.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Callable

from ..errors import Cancelled, PharosError
from ..run.cancel import CancelToken
from ..run.child import Child, child_env, command_line
from ..run.events import IngestSummary, JobCancelled, JobFailed, JobFinished
from ..run.task import Task
from ..secrets import GIT_TOKEN
from ..source import without_credentials
from ..workspace import Workspace

# (source, branch or None, task) -> the ingest's summary; raises PharosError (the update failed, in one line) or
# Cancelled (the follower stops).
Update = Callable[[str, "str | None", Task], IngestSummary]

LINGER_SECONDS = 120.0  # an update child with nothing to do for this long ends (why a kept one: docs/benchmarks.md)
ENDED = "the update process ended unexpectedly (exit code {code})"


def in_this_process(workspace: Workspace) -> Update:
    def update(source: str, branch: str | None, task: Task) -> IngestSummary:
        from ..ingest import Ingestor  # here: an idle follower never needs the ingest path

        return Ingestor(workspace).ingest(source, branch, task=task)

    return update


class UpdateChild:
    """Updates run one at a time in a child `pharos-desktop watch --updates-child` (started on the first),
    which ends ``linger`` seconds after the last one (0: after each). ``cancel`` cancels the update running and
    ends the child; so does the parent going away (run/child.py). A child that dies (killed, out of memory)
    fails the update it ran, in one line; its job is then found interrupted and the next update finishes it."""

    def __init__(self, workspace: Workspace, cancel: CancelToken, linger: float = LINGER_SECONDS) -> None:
        self.workspace, self.cancel, self.linger = workspace, cancel, linger
        self._lock = threading.Lock()  # one update at a time; the child and its timer are changed under it
        self._child: Child | None = None
        self._events = iter(())
        self._timer: threading.Timer | None = None
        self._stamp: tuple = ()  # the vector store's files as the child's last update left them

    def __call__(self, source: str, branch: str | None, task: Task) -> IngestSummary:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            try:
                return self._update(source, branch, task)
            finally:
                if self.linger > 0 and self._child is not None:
                    self._timer = threading.Timer(self.linger, self._let_go_if_idle)
                    self._timer.daemon = True
                    self._timer.start()
                else:
                    self._let_go()

    def stop(self) -> None:
        """Let the child go now (it ends once idle), and wait for it."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._let_go()

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (bench, tests)."""
        child = self._child
        return child.process.pid if child is not None and child.running else None

    def _update(self, source: str, branch: str | None, task: Task) -> IngestSummary:
        if self._child is not None and self._store_stamp() != self._stamp:
            # Another process (the window, an ingest) wrote the vector store since this child's last update: the
            # child's chromadb client would not see it, and fails ("Failed to apply logs to the hnsw segment writer").
            self._let_go()
        if self._child is None or not self._child.running:
            self._child = Child([*command_line(), "watch", "--updates-child"],
                                child_env(self.workspace.data_folder, GIT_TOKEN), self.cancel)
            self._events = self._child.events()
        request = {"job_id": task.job_id, "source": without_credentials(source), "branch": branch}
        if self._child.send(json.dumps(request)):
            for event in self._events:
                task.emit(event)
                if event.job_id != task.job_id or not isinstance(event, (JobFinished, JobCancelled, JobFailed)):
                    continue
                self._stamp = self._store_stamp()
                if isinstance(event, JobFinished):
                    return event.summary
                if isinstance(event, JobCancelled):
                    raise Cancelled()
                if isinstance(event, JobFailed):
                    raise PharosError(event.message)
        child, self._child = self._child, None  # it ended mid-update: the next update starts another
        code = child.wait()
        if self.cancel.cancelled:
            task.emit(JobCancelled(task.job_id))
            raise Cancelled()
        self.workspace.jobs.mark_stale_interrupted()  # its job, and the repository, say "interrupted" now
        message = ENDED.format(code=code)
        task.emit(JobFailed(task.job_id, message, child.stderr_tail))
        raise PharosError(message)

    def _store_stamp(self) -> tuple:
        """The local vector store's files (chromadb's database among them), their sizes and times: cheap."""
        try:
            with os.scandir(self.workspace.vectors_dir) as entries:
                return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries if e.is_file()))
        except OSError:
            return ()

    def _let_go_if_idle(self) -> None:
        with self._lock:
            if self._timer is threading.current_thread():
                self._let_go()

    def _let_go(self) -> None:
        self._timer = None
        child, self._child = self._child, None
        if child is not None:
            child.close_stdin()
            for _ in self._events:  # whatever it still writes as it ends
                pass
            child.wait()
