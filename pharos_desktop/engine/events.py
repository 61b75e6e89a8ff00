"""Events the engine reports to whoever drives it.

Plain dataclasses: the command line renders them as progress lines, the window's bridge re-emits
them as Qt signals, tests collect them in a list. The engine never knows which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

INGEST_STAGES = ("clone", "scan", "parse", "embed", "store")
SYNC_STAGES = ("connect", "plan", "upload")


@dataclass(frozen=True)
class Event:
    job_id: str


@dataclass(frozen=True)
class JobStarted(Event):
    kind: str  # "ingest" or "sync"
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


@dataclass(frozen=True)
class JobFinished(Event):
    summary: dict[str, Any] = field(default_factory=dict)


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


@dataclass(frozen=True)
class CloudJobDone(Event):
    """One cloud job recorded: ``completed`` or ``failed`` with the reason the command line would print."""

    task_id: str
    repo_url: str
    status: str
    reason: str = ""
    seconds: float = 0.0
    files: int = 0
    chunks: int = 0


Emit = Callable[[Event], None]


def ignore_events(event: Event) -> None:
    """An emitter for callers that do not watch progress."""
