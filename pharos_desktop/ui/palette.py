"""The window's colours for words that say how something went: one place, so an error reads the same
everywhere. ``styled(ERROR)`` is the style sheet that gives a label that colour."""

from __future__ import annotations

ERROR = "#c0392b"  # failed, refused, or cannot be saved
WARNING = "#b9770e"  # works, but not as it should (no keyring, backing off)
GOOD = "#1e8449"
QUIET = "palette(placeholder-text)"  # a hint beside the work, not part of it


def styled(color: str) -> str:
    return f"color: {color}"
