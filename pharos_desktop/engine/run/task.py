"""The handle a job's work gets: who it is, where it reports, and how it is told to stop.

Everything that works for a job takes one (a clone, a scan, the pipeline, a sync); ``Job`` (engine/jobs.py)
runs the work and records how it ended.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from .cancel import CancelToken
from .events import Emit, FileSkipped, StageMessage, StageProgress, ignore_events
from .progress import StageMeter
from ..states import JobKind


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Task:
    """What a job's work is handed: who it is, where it reports, and how it is told to stop."""

    kind: JobKind  # an ingest or a sync
    emit: Emit = ignore_events
    cancel: CancelToken = field(default_factory=CancelToken)
    job_id: str = field(default_factory=new_job_id)

    def message(self, text: str, level: str = "info") -> None:
        self.emit(StageMessage(self.job_id, text, level))

    def progress(self, stage: str, done: int, total: int | None, unit: str = "files") -> None:
        self.emit(StageProgress(self.job_id, stage, done, total, unit))

    def skipped(self, path: str, reason: str) -> None:
        self.emit(FileSkipped(self.job_id, path, reason))

    def meter(self, stage: str, total: int | None = None, unit: str = "files") -> StageMeter:
        """Progress for a stage with many items: rate, ETA, and at most a few events a second."""
        return StageMeter(self.emit, self.job_id, stage, total, unit)

    def raise_if_cancelled(self) -> None:
        self.cancel.raise_if_cancelled()
