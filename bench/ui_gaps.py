"""How long the window's UI thread could not respond: a 10 ms Qt timer on it, whose late ticks are the gaps."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QTimer


class GapMeter:
    """Start it on the UI thread once the window is up; ``gaps`` holds each tick's distance (ms) to the last."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.gaps: list[float] = []
        self._clock = QElapsedTimer()
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        self.gaps.append((now - self._last) / 1e6)
        self._last = now

    def stop(self) -> None:
        self._timer.stop()
