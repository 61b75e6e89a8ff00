"""The window's maps and ties made in a process of their own, not on a thread of the window's.

A map of 1,000 files reads some 40,000 catalog rows and runs networkx's layouts for a second or more, and a file's
or a symbol's ties (related.py) resolve every import and reference of the repository: seconds at that size. On a
thread of the window's process that work shares the interpreter's lock with the UI thread, and the objects it
makes set off Python's full garbage collections, which run on whichever thread allocates and hold everyone up:
the window stalled 60 to 150 ms at a time for a map, and up to 350 ms for the ties of a file used by a thousand
others (bench/bench_map.py). A child process shares neither. It is started (spawn, as a frozen app can) on the
first map or ties asked for, keeps its catalog connection and its imports for the next ones, and ends with the
window; what it makes comes back as plain data (RepoMap, Related).

The child runs below normal priority: on a machine with no core to spare the window's UI thread goes first (at a
load of 2 on 2 cores, the child's second of layout otherwise kept the UI thread waiting for a core 40 to 60 ms).
It also ends when the window's process does, killed or not: a process pool's child waits for work forever
otherwise, holding the catalog open.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..errors import PharosError
from ..index.catalog import Catalog, RepoRecord
from ..run.priority import lower_priority
from ..run.processes import end_with_parent
from . import layout
from .related import KeptTies, Related, related

_catalog: Catalog | None = None  # the child's own connection, opened once
_ties = KeptTies()  # the last repository's ties asked for


def _start_child(path: str) -> None:
    global _catalog
    lower_priority()
    end_with_parent(0)  # nothing here to save: the catalog is only read
    _catalog = Catalog(Path(path))


def _build(repo: RepoRecord, opened: frozenset[str], fold_above: int) -> layout.RepoMap:
    return layout.build_map(_catalog, repo, opened, fold_above)


def _related(repo: RepoRecord, path: str, symbol: str | None) -> Related:
    return related(_catalog, repo, path, symbol, _ties.of(_catalog, repo))


class GraphProcess:
    """Thread-safe: each call blocks its caller (a worker thread) until the child answers."""

    def __init__(self, catalog_path: Path) -> None:
        self.catalog_path = catalog_path
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._children: dict = {}  # every child a pool here started, by pid: close ends each still alive

    def build_map(self, repo: RepoRecord, opened: frozenset[str] = frozenset()) -> layout.RepoMap:
        # FOLD_ABOVE read here, not in the child: the module's value in this process is the one in force
        return self._call(_build, repo, frozenset(opened), layout.FOLD_ABOVE)

    def related(self, repo: RepoRecord, path: str, symbol: str | None = None) -> Related:
        """related.related, made in the child (a UsageError it raises comes back as it is)."""
        return self._call(_related, repo, path, symbol)

    def _call(self, function, *args):
        with self._lock:
            if self._closed:
                raise PharosError("the window is closing: no map is made any more")
            if self._pool is None:
                self._pool = ProcessPoolExecutor(1, multiprocessing.get_context("spawn"), _start_child,
                                                 (str(self.catalog_path),))
            pool = self._pool
        try:
            made = pool.submit(function, *args).result()
            with self._lock:
                self._children.update(pool._processes or {})  # noqa: SLF001 - close needs them (below)
            return made
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None  # the next call starts a new child
            raise PharosError("the process that makes the map stopped unexpectedly; "
                              "ask again (open the map, click the file) to start a new one") from None

    def close(self) -> None:
        """End the child now, whatever it is doing (the window is closing)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
            # The pool's own list, and every child noted before: the full suite once saw a child outlive a close
            # that took the pool's list alone.
            children = dict(self._children)
        if pool is not None:
            children.update(pool._processes or {})  # noqa: SLF001 - 3.11 has no terminate_workers()
            pool.shutdown(wait=False, cancel_futures=True)
        # Whether a child has ended is read from its sentinel (the pipe it holds closes when it ends), not from
        # is_alive(): that asks waitpid, and a child reaped by another waitpid in this process (the pool's own
        # thread joins it meanwhile) reads as alive for good. The full suite once saw a child "alive" after a close.
        running = [process for process in children.values() if process.exitcode is None]
        for process in running:
            process.terminate()
        # A child started while its parent held SIGTERM blocked (some libraries and test runners do) inherits the
        # block, and would outlive a terminate: it is killed then.
        left = _still_running(running, 2)
        for process in left:
            process.kill()
        _still_running(left, 2)
        for process in running:
            # Reaped, not left a zombie: its pipes close a moment before it has ended. Waits only on a child whose
            # sentinel is ready (one still running after the kill is left as it is).
            process.join(1)


def _still_running(processes: list, seconds: float) -> list:
    """Those of these processes that have not ended within ``seconds``, as their sentinels tell."""
    deadline = time.monotonic() + seconds
    left = list(processes)
    while left and (remaining := deadline - time.monotonic()) > 0:
        ended = multiprocessing.connection.wait([process.sentinel for process in left], remaining)
        left = [process for process in left if process.sentinel not in ended]
    return left
