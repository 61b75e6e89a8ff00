"""Writing results to stdout: JSON for machines, aligned text for people."""

from __future__ import annotations

import json
import sys
import time


# JSON output is ASCII (non-ASCII as \\u escapes): any console or pipe encoding can carry it, a cp1252
# pipe on Windows included, and file names that are not valid UTF-8 survive as escapes.

def print_json(value) -> None:
    json.dump(value, sys.stdout, indent=2)
    sys.stdout.write("\n")


def json_line(value) -> str:
    return json.dumps(value) + "\n"


def ago(timestamp: float | None) -> str:
    if not timestamp:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def print_table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    for row in [headers, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
