"""Events as JSON lines, so a job can run in a child process and report to its parent.

A JobFinished line names its job kind, so its summary decodes back to that kind's dataclass.
"""

from __future__ import annotations

import dataclasses
import json

from . import events

_TYPES = {cls.__name__: cls for cls in (events.JobStarted, events.StageProgress, events.StageMessage,
                                        events.FileSkipped, events.JobFinished, events.JobFailed,
                                        events.JobCancelled, events.WorkerStatus)}


def encode(event: events.Event) -> str:
    """ASCII JSON: readable whatever the encoding of the pipe between the processes."""
    fields = dataclasses.asdict(event)
    if isinstance(event, events.JobFinished):
        fields["kind"] = event.kind
    return json.dumps({"event": type(event).__name__, **fields})


def decode(line: str) -> events.Event | None:
    """The event on ``line``, or None for a line that is not one (a library printing to stdout)."""
    try:
        data = json.loads(line)
        cls = _TYPES[data.pop("event")]
        if cls is events.JobFinished:
            data["summary"] = events.SUMMARIES[data.pop("kind")].from_dict(data["summary"])
        return cls(**data)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
