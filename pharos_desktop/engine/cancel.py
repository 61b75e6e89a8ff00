"""Cooperative cancellation shared by every long-running engine task."""

import threading

from .errors import Cancelled

# What a parent writes on a child job's stdin to cancel it (engine/isolated.py): no console or signal needed.
CANCEL_LINE = "cancel"


class CancelToken:
    """Set once by the caller; checked by workers between items so a cancel lands within a second."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; returns True as soon as the token is cancelled."""
        return self._event.wait(seconds)
