"""Chunks of non-source files.

- Markdown: one ``section`` chunk per heading (ATX ``#`` and setext ``===``/``---`` headings,
  never inside fenced code or the front matter). The symbol is the heading path,
  ``"Install > Linux"``; text above the first heading is ``"<preamble>"``. A heading with no text of
  its own that is directly followed by a deeper heading is folded into it (its path shows there).
  A long section is split into parts that each start with the heading line.
- Everything else (YAML, TOML, JSON, Dockerfile, SQL, plain text): ``text`` windows of 50 lines
  with 5 lines of overlap, symbol ``"<lines 1-50>"``; a window over the budget is split into parts.
"""

from __future__ import annotations

import re

from ..chunks import Chunk
from .split import Row, split_chunk, windows

WINDOW_LINES = 50
WINDOW_OVERLAP = 5
PREAMBLE = "<preamble>"

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown_chunks(path: str, text: str, language: str, max_chars: int) -> list[Chunk]:
    lines = text.split("\n")
    headings = _headings(lines)  # (row, level, title, heading rows)
    chunks: list[Chunk] = []
    first = headings[0][0] if headings else len(lines)
    if any(line.strip() for line in lines[:first]):
        chunks.extend(_section(path, language, PREAMBLE, "", lines, 0, first, max_chars))
    stack: list[tuple[int, str]] = []
    for n, (row, level, title, heading_rows) in enumerate(headings):
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title or "(untitled)"))
        end = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
        body = lines[row + heading_rows:end]
        if not any(line.strip() for line in body) and n + 1 < len(headings) and headings[n + 1][1] > level:
            continue
        heading = " ".join(line.strip() for line in lines[row:row + heading_rows])
        symbol = " > ".join(t for _, t in stack)
        chunks.extend(_section(path, language, symbol, heading, lines, row, end, max_chars))
    return chunks


def _headings(lines: list[str]) -> list[tuple[int, int, str, int]]:
    found: list[tuple[int, int, str, int]] = []
    fence = ""
    start = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        for row in range(1, len(lines)):
            if lines[row].strip() in ("---", "..."):
                start = row + 1
                break
    for row in range(start, len(lines)):
        line = lines[row]
        marker = _FENCE.match(line)
        if fence:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = ""
            continue
        if marker:
            fence = marker.group(1)
            continue
        atx = _ATX.match(line)
        if atx:
            found.append((row, len(atx.group(1)), (atx.group(2) or "").strip(), 1))
            continue
        setext = _SETEXT.match(line)
        if setext and row > start and lines[row - 1].strip() and not _ATX.match(lines[row - 1]) \
                and not _SETEXT.match(lines[row - 1]) and (not found or found[-1][0] + found[-1][3] <= row - 1):
            level = 1 if setext.group(1)[0] == "=" else 2
            found.append((row - 1, level, lines[row - 1].strip(), 2))
    return found


def _section(path: str, language: str, symbol: str, heading: str, lines: list[str], start: int, end: int,
             max_chars: int) -> list[Chunk]:
    while end > start and not lines[end - 1].strip():
        end -= 1
    rows: list[Row] = [(r + 1, r + 1, lines[r]) for r in range(start, end)]
    if not rows:
        return []
    base = Chunk(path, language, "section", symbol, start + 1, end, "", signature=heading)
    return split_chunk(base, rows, max_chars, [heading] if heading else None)


def window_chunks(path: str, text: str, language: str, max_chars: int) -> list[Chunk]:
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    rows: list[Row] = [(r + 1, r + 1, line) for r, line in enumerate(lines)]
    chunks: list[Chunk] = []
    for window in windows(rows, WINDOW_LINES, WINDOW_OVERLAP):
        if not any(row[2].strip() for row in window):
            continue
        first, last = window[0][0], window[-1][0]
        base = Chunk(path, language, "text", f"<lines {first}-{last}>", first, last, "")
        chunks.extend(split_chunk(base, window, max_chars))
    return chunks
