"""Thread pools for engine work, and the way results come back to the UI thread.

One serial pool runs ingest jobs (one at a time, in the order asked); another runs reads:
searches, catalog queries, file reads, diagnostics. Callbacks passed to ``read`` run on the UI
thread, delivered through a queued Qt signal, so widgets are only ever touched there.
"""

from __future__ import annotations

import logging
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
        if self._closed:
            return None

        def task() -> None:
            try:
                result = work()
            except BaseException as exc:  # noqa: BLE001 - handed to the UI as is
                log.debug("background read failed", exc_info=True)
                if on_error is not None:
                    self.call_on_ui(lambda error=exc: on_error(error))  # ``exc`` is unbound after except
                return
            self.call_on_ui(lambda: on_done(result))

        return self.reads.submit(task)

    def shutdown(self) -> None:
        self._closed = True
        self.reads.shutdown(wait=False, cancel_futures=True)
        self.ingests.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(callback: Callable[[], Any]) -> None:
        try:
            callback()
        except Exception:  # noqa: BLE001 - a broken callback must not take the event loop down
            log.exception("UI callback failed")
