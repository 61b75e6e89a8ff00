"""When automatic work waits: the one pause switch, and the battery (unless the user allows it there).
Manual work (an ingest the user starts) never waits for these."""

from __future__ import annotations

from ..settings import Settings

PAUSED = "paused"
ON_BATTERY = "on battery"


def on_battery() -> bool:
    """True when the machine runs on its battery now; False without a battery, or when it cannot tell."""
    import psutil

    try:
        battery = psutil.sensors_battery()
    except (OSError, RuntimeError, NotImplementedError):
        return False
    return battery is not None and battery.power_plugged is False


def held_back(settings: Settings) -> str:
    """Why automatic work waits now ("paused", "on battery"), or "" when it may run."""
    if settings.live_paused:
        return PAUSED
    if not settings.live_on_battery and on_battery():
        return ON_BATTERY
    return ""
