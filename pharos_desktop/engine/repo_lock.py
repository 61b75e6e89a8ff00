"""Who may work on what, across every process that shares the data folder.

- One ingest (or sync) per repository at a time: a second ingest of the same repository would sweep the first
  one's temporary clone and interleave its catalog writes.
- One cloud worker per data folder: two would share one processing list (the worker id is per data folder),
  each putting the other's running job back in the queue and running it too.

The locks are OS file locks (``filelock``) on files in the data folder's ``locks/``, so they are released
when their process dies, however it dies; other repositories are not held up.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from .cancel import CancelToken
from .errors import PharosError

WORKER_LOCK = "worker"


class Busy(PharosError):
    """Another process holds the lock, and waiting for it was given up."""


@contextmanager
def repo_lock(root: Path, repo_id: str, *, cancel: CancelToken, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the repository's lock; if another process holds it, call ``on_wait`` once and wait,
    still cancellable."""
    with _held(root, repo_id, cancel, on_wait, None, ""):
        yield


@contextmanager
def worker_lock(root: Path, *, cancel: CancelToken, on_wait: Callable[[], None], wait: float,
                busy: str) -> Iterator[None]:
    """Hold the data folder's worker lock; wait at most ``wait`` seconds for another worker (one that is
    stopping) to let go, then raise Busy(``busy``)."""
    with _held(root, WORKER_LOCK, cancel, on_wait, wait, busy):
        yield


@contextmanager
def _held(root: Path, name: str, cancel: CancelToken, on_wait: Callable[[], None], wait: float | None,
          busy: str) -> Iterator[None]:
    folder = Path(root) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / f"{name}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        on_wait()
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            cancel.raise_if_cancelled()
            if deadline is not None and time.monotonic() > deadline:
                raise Busy(busy) from None
            try:
                lock.acquire(timeout=0.25)
                break
            except Timeout:
                continue
    try:
        yield
    finally:
        lock.release()
