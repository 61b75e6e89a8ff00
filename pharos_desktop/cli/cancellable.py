"""Run a blocking engine job on a worker thread so Ctrl-C (or SIGTERM) on the main thread cancels it cleanly."""

from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

from ..engine.run.cancel import CancelToken
from ..engine.errors import Cancelled

T = TypeVar("T")


def run_cancellable(job: Callable[[], T], cancel: CancelToken, grace: float | None = None) -> T:
    """``job()``'s result; Ctrl-C sets ``cancel``, which the job watches, and waits for the job to end
    (at most ``grace`` seconds when given: a job whose work is safe to leave, such as the cloud worker's)."""
    outcome: dict[str, object] = {}
    # Our own flag, not Thread.is_alive(): a join() interrupted by Ctrl-C can leave is_alive() False while
    # the thread still runs (CPython), and we would leave before the job had marked itself cancelled.
    done = threading.Event()

    def target() -> None:
        try:
            outcome["result"] = job()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the main thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="pharos-cli-job", daemon=True).start()
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        cancel.cancel()
        # Let the job end itself (git stopped, temporary clone removed, job marked cancelled); the engine
        # checks its token often. A second Ctrl-C stops waiting: the job is then found interrupted later.
        deadline = time.monotonic() + grace if grace is not None else None
        try:
            while not done.wait(0.1) and (deadline is None or time.monotonic() < deadline):
                pass
        except KeyboardInterrupt:
            pass
        raise Cancelled() from None
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]
