"""Chunks of non-source files.

- Documents (Markdown, reStructuredText, AsciiDoc): one ``section`` chunk per heading (headings.py
  finds them, never inside code blocks or front matter). The symbol is the heading path,
  ``"Install > Linux"``; text above the first heading is ``"<preamble>"``. A heading with no text of
  its own that is directly followed by a deeper heading is folded into it (its path shows there).
  A long section is split into parts that each start with the heading line.
- A changelog (CHANGES.rst, CHANGELOG.md, HISTORY, NEWS...) is chunked by release: headings below the
  level of the first one naming a version stay inside their release.
- Everything else (YAML, TOML, JSON, Dockerfile, SQL, plain text): ``text`` windows of 50 lines
  with 5 lines of overlap, symbol ``"<lines 1-50>"``; a window over the budget is split into parts,
  each labelled with its own lines.
"""

from __future__ import annotations

import re

from ..index.chunks import Chunk
from .headings import Heading, asciidoc_headings, markdown_headings, release_headings, rst_headings
from .split import Row, split_chunk, windows

WINDOW_LINES = 50
WINDOW_OVERLAP = 5
PREAMBLE = "<preamble>"

_RST = re.compile(r"\.(rst|rest)$", re.IGNORECASE)
_ASCIIDOC = re.compile(r"\.(adoc|asciidoc|asc)$", re.IGNORECASE)
_CHANGELOG = re.compile(r"^(change(s|log|_log|-log)?|history|news|release[-_ ]?notes|releases)(\.\w+)?$",
                        re.IGNORECASE)


def document_chunks(path: str, text: str, language: str, max_chars: int) -> list[Chunk] | None:
    """Section chunks of a Markdown, reStructuredText or AsciiDoc file; None for other text."""
    lines = text.split("\n")
    name = path.rsplit("/", 1)[-1]
    if language == "markdown":
        headings = markdown_headings(lines)
    elif _RST.search(name):
        headings = rst_headings(lines)
    elif _ASCIIDOC.search(name):
        headings = asciidoc_headings(lines)
    else:
        return None
    if _CHANGELOG.match(name):
        headings = release_headings(headings)
    return section_chunks(path, language, lines, headings, max_chars)


def section_chunks(path: str, language: str, lines: list[str], headings: list[Heading],
                   max_chars: int) -> list[Chunk]:
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
        heading = lines[row + 1 if heading_rows == 3 else row].strip()  # the title line, not its adornment
        symbol = " > ".join(t for _, t in stack)
        chunks.extend(_section(path, language, symbol, heading, lines, row, end, max_chars))
    return chunks


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
        for part in split_chunk(base, window, max_chars):
            part.symbol = f"<lines {part.start_line}-{part.end_line}>"  # a part's label names its own lines
            chunks.append(part)
    return chunks
