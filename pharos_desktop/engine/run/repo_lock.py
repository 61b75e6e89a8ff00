"""Who may work on what, across every process that shares the data folder.

- One ingest or sync per repository at a time. A second ingest of the same repository would sweep the first
  one's temporary clone and interleave its catalog writes; two syncs of one repository would both append its
  chunks to the same cloud rows, and a sync beside an ingest would publish a half-updated index.
- One cloud worker per data folder: two would share one processing list (the worker id is per data folder),
  each putting the other's running job back in the queue and running it too.

The locks are OS file locks (``filelock``) on files in the data folder's ``locks/``, so they are released when
their process dies, however it dies; other repositories are not held up.
"""

from __future__ import annotations

import time
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import AsyncIterator, Callable, Iterator

from filelock import FileLock, Timeout

from .cancel import CancelToken
from ..errors import PharosError

WORKER_LOCK = "worker"
WAIT_STEP = 0.25  # seconds between tries while another process holds the lock


def busy_message(name: str) -> str:
    return f"waiting: {name} is being ingested or synced by another window or command"


def _lock(root: Path, repo_id: str) -> FileLock:
    folder = Path(root) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(folder / f"{repo_id}.lock")


def _try(lock: FileLock, seconds: float = 0) -> bool:
    try:
        lock.acquire(timeout=seconds)
        return True
    except Timeout:
        return False


@contextmanager
def repo_lock(root: Path, repo_id: str, *, cancel: CancelToken, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the repository's lock; if another process holds it, call ``on_wait`` once and wait,
    still cancellable."""
    lock = _lock(root, repo_id)
    if not _try(lock):
        on_wait()
        while not _try(lock, WAIT_STEP):
            cancel.raise_if_cancelled()
    try:
        yield
    finally:
        lock.release()


def busy_repositories(root: Path) -> list[str]:
    """The repositories whose lock is held now (an ingest or a sync under way, in any process): for a reader that
    must tell a half-written index from a finished one. Cheap: one try of each lock file, no wait."""
    folder = Path(root) / "locks"
    try:
        names = sorted(path.stem for path in folder.glob("*.lock") if path.stem != WORKER_LOCK)
    except OSError:
        return []
    busy = []
    for repo_id in names:
        lock = _lock(root, repo_id)
        if _try(lock):
            lock.release()
        else:
            busy.append(repo_id)
    return busy


class Busy(PharosError):
    """Another process holds the lock, and waiting for it was given up."""


@contextmanager
def worker_lock(root: Path, *, cancel: CancelToken, on_wait: Callable[[], None], wait: float,
                busy: str) -> Iterator[None]:
    """Hold the data folder's worker lock; wait at most ``wait`` seconds for another worker (one that is
    stopping: the window replacing a background worker) to let go, then raise Busy(``busy``)."""
    lock = _lock(root, WORKER_LOCK)
    if not _try(lock):
        on_wait()
        deadline = time.monotonic() + wait
        while not _try(lock, WAIT_STEP):
            cancel.raise_if_cancelled()
            if time.monotonic() > deadline:
                raise Busy(busy)
    try:
        yield
    finally:
        lock.release()


@asynccontextmanager
async def repo_locks(root: Path, repo_ids: list[str], *, cancel: CancelToken,
                     on_wait: Callable[[str], None]) -> AsyncIterator[None]:
    """Hold several repositories' locks (a sync of all of them) without blocking the event loop, which in
    the window is the UI's. Taken in sorted order, so two holders of several cannot deadlock (an ingest
    only ever holds one); ``on_wait(repo_id)`` once for each repository that has to be waited for."""
    import asyncio  # here: an ingest never runs a coroutine and need not pay for the import

    async with AsyncExitStack() as held:
        for repo_id in sorted(set(repo_ids)):
            lock = _lock(root, repo_id)
            if not _try(lock):
                on_wait(repo_id)
                while not _try(lock):
                    cancel.raise_if_cancelled()
                    await asyncio.sleep(WAIT_STEP)
            held.callback(lock.release)
        yield
