"""Thread pools for engine work, and the way results come back to the UI thread.

One serial pool runs ingest jobs (one at a time, in the order asked); another runs reads the user waits for:
searches, catalog queries, file reads, diagnostics; a third, serial too, runs chores nobody waits for: the
sweeps over every repository that keep the list's columns current (statuses, sync states, disk use). At a
thousand repositories a sweep takes seconds, and on the read pool two of them held both its threads while a
search queued behind them for 3.4 s (bench/bench_search_window.py, a million chunks). A chore also makes way
between repositories while a read runs (``make_way``), so a search does not share the interpreter with it.
Callbacks passed to ``read`` and ``chore`` run on the UI thread, delivered through a queued Qt signal, so
widgets are only ever touched there.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal

log = logging.getLogger(__name__)


class Threads(QObject):
    _deliver = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ingests = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pharos-ingest")
        # Two read threads: a first search that loads the model must not hold up opening a file.
        self.reads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pharos-read")
        self.chores = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pharos-chore")
        self._reading = 0  # reads running now
        self._quiet = threading.Condition()
        self._closed = False
        self._deliver.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def call_on_ui(self, callback: Callable[[], Any]) -> None:
        """Thread-safe: run ``callback`` on the UI thread soon."""
        if self._closed:
            return
        try:
            self._deliver.emit(callback)
        except RuntimeError:  # the window is gone while a worker finished: nothing left to update
            pass

    def read(self, work: Callable[[], Any], on_done: Callable[[Any], Any],
             on_error: Callable[[BaseException], Any] | None = None) -> Future | None:
        """Run ``work()`` on the read pool; ``on_done(result)`` or ``on_error(exc)`` on the UI thread.
        Once the window has closed, nothing new starts (late job events may still ask for a refresh)."""
        def counted():
            with self._quiet:
                self._reading += 1
            try:
                return work()
            finally:
                with self._quiet:
                    self._reading -= 1
                    self._quiet.notify_all()

        return self._submit(self.reads, counted, on_done, on_error)

    def chore(self, work: Callable[[], Any], on_done: Callable[[Any], Any],
              on_error: Callable[[BaseException], Any] | None = None) -> Future | None:
        """As ``read``, on the chores' thread: for a sweep over every repository, which calls ``make_way``
        between them."""
        return self._submit(self.chores, work, on_done, on_error)

    def make_way(self, longest: float = 5.0) -> None:
        """From a chore: wait while a read runs (at most ``longest`` seconds, so a read that takes long, a first
        search loading the model, never holds the sweeps up for good)."""
        with self._quiet:
            self._quiet.wait_for(lambda: self._reading == 0 or self._closed, timeout=longest)

    def _submit(self, pool: ThreadPoolExecutor, work, on_done, on_error) -> Future | None:
        if self._closed:
            return None

        def task() -> None:
            try:
                result = work()
            except BaseException as exc:  # noqa: BLE001 - handed to the UI as is
                log.debug("background work failed", exc_info=True)
                if on_error is not None:
                    self.call_on_ui(lambda error=exc: on_error(error))  # ``exc`` is unbound after except
                return
            self.call_on_ui(lambda: on_done(result))

        return pool.submit(task)

    def shutdown(self) -> None:
        self._closed = True
        with self._quiet:
            self._quiet.notify_all()  # a chore waiting to make way ends its wait
        self.reads.shutdown(wait=False, cancel_futures=True)
        self.chores.shutdown(wait=False, cancel_futures=True)
        self.ingests.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(callback: Callable[[], Any]) -> None:
        try:
            callback()
        except Exception:  # noqa: BLE001 - a broken callback must not take the event loop down
            log.exception("UI callback failed")
