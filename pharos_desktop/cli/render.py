"""Engine events on a terminal: a live progress line on a TTY, plain throttled lines otherwise."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO

from ..engine.run.events import Event, FileSkipped, JobFailed, StageMessage, StageProgress


def _format_count(progress: StageProgress) -> str:
    total = f"/{progress.total}" if progress.total else ""
    text = f"{progress.stage:<6} {progress.done}{total} {progress.unit}"
    if progress.rate:
        text += f"  {progress.rate:,.1f}/s"
    if progress.eta_seconds is not None and progress.total:
        text += f"  ETA {int(progress.eta_seconds) // 60}:{int(progress.eta_seconds) % 60:02d}"
    return text


def _bar(progress: StageProgress, width: int = 24) -> str:
    if not progress.total:
        return "[" + " " * width + "]"
    filled = int(width * min(1.0, progress.done / progress.total))
    return "[" + "#" * filled + "." * (width - filled) + "]"


class ProgressRenderer:
    """Callable as an Emit. Safe to call from worker threads."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None, verbose: bool = False,
                 plain_interval: float = 2.0) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.verbose = verbose
        self.plain_interval = plain_interval
        self._lock = threading.Lock()
        self._last_plain: dict[str, float] = {}
        self._line_open = False

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, StageProgress):
                self._progress(event)
            elif isinstance(event, StageMessage):
                self._line(("warning: " if event.level == "warning" else "") + event.text)
            elif isinstance(event, FileSkipped) and self.verbose:
                self._line(f"skipped {event.path}: {event.reason}")
            elif isinstance(event, JobFailed) and self.verbose and event.detail:
                self._line(event.detail.rstrip())

    def close(self) -> None:
        with self._lock:
            if self._line_open:
                self.stream.write("\n")
                self._line_open = False
            self.stream.flush()

    def _progress(self, event: StageProgress) -> None:
        if self.live:
            width = shutil.get_terminal_size((100, 20)).columns
            text = f"{_bar(event)} {_format_count(event)}"
            if event.current:
                room = width - len(text) - 3
                if room > 10:
                    current = event.current if len(event.current) <= room else "…" + event.current[-room + 1:]
                    text += f"  {current}"
            self.stream.write("\r" + text[:width - 1].ljust(width - 1))
            self.stream.flush()
            self._line_open = True
            return
        if event.total is None and event.done == 0:
            return  # "starting" events say nothing a plain log needs
        finished = event.total is not None and event.done >= event.total
        now = time.monotonic()
        if finished or now - self._last_plain.get(event.stage, 0.0) >= self.plain_interval:
            self._last_plain[event.stage] = now
            self._line(_format_count(event))

    def _line(self, text: str) -> None:
        if self._line_open:
            self.stream.write("\n")
            self._line_open = False
        self.stream.write(text + "\n")
        self.stream.flush()


def make_emitter(verbose: bool = False, stream: TextIO | None = None) -> ProgressRenderer:
    return ProgressRenderer(stream=stream, verbose=verbose)
