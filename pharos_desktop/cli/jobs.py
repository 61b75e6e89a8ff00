"""Run a blocking engine job on a worker thread so Ctrl-C on the main thread cancels it cleanly."""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

from ..engine.cancel import CancelToken
from ..engine.errors import Cancelled

T = TypeVar("T")


def run_cancellable(job: Callable[[CancelToken], T], cancel: CancelToken | None = None) -> T:
    cancel = cancel or CancelToken()
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["result"] = job(cancel)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="pharos-cli-job", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(timeout=0.1)
    except KeyboardInterrupt:
        cancel.cancel()
        worker.join(timeout=10)
        raise Cancelled() from None
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]
