"""Events as JSON lines, so a job can run in a child process and report to its parent."""

from __future__ import annotations

import dataclasses
import json

from . import events

_TYPES = {cls.__name__: cls for cls in (events.JobStarted, events.StageProgress, events.StageMessage,
                                        events.FileSkipped, events.JobFinished, events.JobFailed,
                                        events.JobCancelled, events.WorkerStatus, events.CloudJobDone)}


def encode(event: events.Event) -> str:
    """ASCII JSON: readable whatever the encoding of the pipe between the processes."""
    return json.dumps({"event": type(event).__name__, **dataclasses.asdict(event)})


def decode(line: str) -> events.Event | None:
    """The event on ``line``, or None for a line that is not one (a library printing to stdout)."""
    try:
        data = json.loads(line)
        cls = _TYPES[data.pop("event")]
        return cls(**data)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
