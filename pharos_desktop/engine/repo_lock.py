"""One ingest per repository at a time, across every process that shares the data folder.

A second ingest of the same repository would sweep the first one's temporary clone and interleave its
catalog writes. The lock is an OS file lock (``filelock``) on a file in the data folder, so it is
released when its process dies, however it dies; other repositories are not held up.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from .cancel import CancelToken


@contextmanager
def repo_lock(root: Path, repo_id: str, *, cancel: CancelToken, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the repository's lock; if another process holds it, call ``on_wait`` once and wait,
    still cancellable."""
    folder = Path(root) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / f"{repo_id}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        on_wait()
        while True:
            cancel.raise_if_cancelled()
            try:
                lock.acquire(timeout=0.25)
                break
            except Timeout:
                continue
    try:
        yield
    finally:
        lock.release()
