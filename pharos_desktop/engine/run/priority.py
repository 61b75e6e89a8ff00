"""A good neighbour: the window's ingest child runs below normal OS priority, so a desktop user keeps
working while a repository ingests. It takes nothing from an otherwise idle machine: priority only
decides who runs first when cores are short (bench/bench_ingest.py measures it)."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

NICE_INCREMENT = 10  # Linux and macOS: 0 is normal, 19 the lowest
_BELOW_NORMAL_PRIORITY_CLASS = 0x4000  # Windows


def lower_priority() -> None:
    """Lower this process's CPU priority (and its threads'); failing to is logged, never fatal."""
    try:
        if os.name == "nt":
            import ctypes

            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            if not kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), _BELOW_NORMAL_PRIORITY_CLASS):
                raise OSError(ctypes.get_last_error(), "SetPriorityClass failed")
        else:
            os.nice(NICE_INCREMENT)
    except (OSError, AttributeError) as exc:
        log.warning("cannot lower this process's priority: %s", exc)
