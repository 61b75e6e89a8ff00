"""Reads whose answer matters only while nothing newer was asked: the search as you type, the file being
opened, the repository's overview. An older answer that arrives late is dropped, never shown over a newer one."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Callable

from .threads import Threads


class NewestOnly:
    def __init__(self, threads: Threads, chores: bool = False) -> None:
        self._submit = threads.chore if chores else threads.read  # chores: a sweep nobody waits for
        self._asked = 0

    def read(self, work: Callable[[], Any], on_done: Callable[[Any], Any],
             on_error: Callable[[BaseException], Any] | None = None) -> Future | None:
        """``threads.read`` (or ``chore``), delivering ``on_done`` / ``on_error`` only if no read was asked for since."""
        self._asked += 1
        ticket = self._asked

        def if_newest(callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
            return lambda value: callback(value) if ticket == self._asked else None

        return self._submit(work, if_newest(on_done), if_newest(on_error) if on_error is not None else None)

    def drop(self) -> None:
        """Whatever is still on its way is no longer wanted (the view was cleared)."""
        self._asked += 1
