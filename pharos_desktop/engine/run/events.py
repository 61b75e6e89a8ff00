"""Events the engine reports to whoever drives it.

Plain dataclasses: the command line renders them as progress lines, the window's bridge re-emits
them as Qt signals, tests collect them in a list. The engine never knows which.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, ClassVar, Union

from ..states import JobKind

INGEST_STAGES = ("clone", "scan", "parse", "embed", "store")
SYNC_STAGES = ("connect", "plan", "upload")
STAGES = {JobKind.INGEST: INGEST_STAGES, JobKind.SYNC: SYNC_STAGES}


@dataclass(frozen=True)
class Event:
    job_id: str


@dataclass(frozen=True)
class JobStarted(Event):
    kind: str  # a JobKind
    title: str  # what the user asked for, e.g. the source URL; never holds a token


@dataclass(frozen=True)
class StageProgress(Event):
    stage: str
    done: int
    total: int | None  # None while the total is not known yet
    unit: str = "files"
    current: str = ""  # the file (or resource) being worked on
    rate: float | None = None  # units per second over a recent window
    eta_seconds: float | None = None


@dataclass(frozen=True)
class StageMessage(Event):
    """A human-readable line about the job (e.g. "cloning with depth 1", "resuming: 812 files already stored")."""

    text: str
    level: str = "info"  # info | warning


@dataclass(frozen=True)
class FileSkipped(Event):
    path: str
    reason: str


@dataclass
class IngestSummary:
    """What an ingest did: the repository as the index now holds it, and what this run cost."""

    KIND: ClassVar[str] = JobKind.INGEST
    repo: str
    repo_id: str
    source: str
    commit: str
    files: int  # indexed files the index holds for the repo after this run
    chunks: int
    skipped: int
    skipped_reasons: dict[str, int]
    embedded: int  # chunks embedded in this run
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    reused: int = 0  # files left as they were

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "IngestSummary":
        return cls(**data)


@dataclass(frozen=True)
class SyncFailure:
    repo: str  # repository id
    path: str
    message: str


@dataclass
class SyncSummary:
    """What a sync did, in files; ``failed`` files were listed and the others went on."""

    KIND: ClassVar[str] = JobKind.SYNC
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    chunks: int = 0
    failures: list[SyncFailure] = field(default_factory=list)
    notice: str = ""  # a note for the user that is not an error (the cloud's fetch queue is full)
    repaired: int = 0  # published before, but the cloud held another chunk count (doubled, or cut short)

    def as_dict(self) -> dict:
        return asdict(self)

    def counts(self) -> str:
        """The files' part of the line both front ends show."""
        repaired = f"{self.repaired} repaired, " if self.repaired else ""
        return (f"{self.created} created, {self.updated} updated, {self.deleted} deleted, {self.unchanged} unchanged, "
                f"{repaired}{self.failed} failed")

    @classmethod
    def from_dict(cls, data: dict) -> "SyncSummary":
        return cls(**{**data, "failures": [SyncFailure(**failure) for failure in data.get("failures", [])]})


@dataclass
class CloudJobSummary:
    """One job the cloud queued, done here by the worker (engine/worker): ``completed``, or ``failed`` with the
    reason the command line would print."""

    KIND: ClassVar[str] = JobKind.CLOUD
    task_id: str
    repo_url: str
    status: str  # completed | failed
    reason: str = ""
    seconds: float = 0.0
    files: int = 0
    chunks: int = 0
    finished_at: float = field(default_factory=time.time)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CloudJobSummary":
        return cls(**data)


Summary = Union[IngestSummary, SyncSummary, CloudJobSummary]
SUMMARIES: dict[str, type] = {cls.KIND: cls for cls in (IngestSummary, SyncSummary, CloudJobSummary)}


@dataclass(frozen=True)
class JobFinished(Event):
    summary: Summary

    @property
    def kind(self) -> str:
        return self.summary.KIND


@dataclass(frozen=True)
class JobFailed(Event):
    message: str  # one line, for the user
    detail: str = ""  # traceback or server answer, for "details"


@dataclass(frozen=True)
class JobCancelled(Event):
    resumable: bool = True


@dataclass(frozen=True)
class WorkerStatus(Event):
    """The cloud worker's state (see engine/worker): online and idle, working, backing off and why, stopped."""

    status: str  # a states.WorkerActivity
    reason: str = ""
    current: str = ""  # the repository being worked on
    queue_length: int | None = None
    drained: int = 0


Emit = Callable[[Event], None]


def ignore_events(event: Event) -> None:
    """An emitter for callers that do not watch progress."""
