"""Rate, ETA and throttling for StageProgress events."""

from __future__ import annotations

import time
from collections import deque

from .events import Emit, StageProgress


class StageMeter:
    """Counts work in one stage and emits StageProgress at most ``max_per_second`` times.

    The rate is measured over the last few seconds so the ETA follows the current speed, not the
    average since start (the first files of a repository are often slower while the model warms up).
    """

    def __init__(self, emit: Emit, job_id: str, stage: str, total: int | None = None,
                 unit: str = "files", max_per_second: float = 10.0, window_seconds: float = 5.0) -> None:
        self._emit = emit
        self.job_id = job_id
        self.stage = stage
        self.total = total
        self.unit = unit
        self.done = 0
        self.current = ""
        self._min_gap = 1.0 / max_per_second
        self._last_emit = 0.0
        self._window = window_seconds
        self._samples: deque[tuple[float, int]] = deque()

    def set_total(self, total: int | None) -> None:
        self.total = total
        self.flush()

    def advance(self, count: int = 1, current: str | None = None) -> None:
        self.done += count
        if current is not None:
            self.current = current
        now = time.monotonic()
        self._samples.append((now, self.done))
        while self._samples and now - self._samples[0][0] > self._window:
            self._samples.popleft()
        if now - self._last_emit >= self._min_gap:
            self._send(now)

    def flush(self) -> None:
        self._send(time.monotonic())

    def rate(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
        if t1 - t0 <= 0:
            return None
        return (n1 - n0) / (t1 - t0)

    def _send(self, now: float) -> None:
        self._last_emit = now
        rate = self.rate()
        eta = None
        if rate and self.total is not None and rate > 0:
            eta = max(0.0, (self.total - self.done) / rate)
        self._emit(StageProgress(self.job_id, self.stage, self.done, self.total, self.unit,
                                 self.current, rate, eta))
