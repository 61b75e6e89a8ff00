"""Section headings of prose documents: Markdown, reStructuredText and AsciiDoc.

Each finder returns ``(row, level, title, heading_rows)`` tuples: the 0-based row where the heading
starts, its level (1 = top), its text, and how many rows the heading itself takes. Headings inside
code blocks (fenced, literal or listing blocks) and front matter are not headings.
"""

from __future__ import annotations

import re

Heading = tuple[int, int, str, int]

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# reStructuredText section adornment: one punctuation character repeated (docutils' set).
_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")
_ADOC_TITLE = re.compile(r"^(={1,6}|#{1,6})[ \t]+(\S.*?)(?:[ \t]+\1)?[ \t]*$")
_ADOC_BLOCK = re.compile(r"^(-{4,}|\.{4,}|={4,}|\+{4,}|/{4,}|_{4,}|\*{4,}|`{3,})[ \t]*$")


def markdown_headings(lines: list[str]) -> list[Heading]:
    found: list[Heading] = []
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


def rst_headings(lines: list[str]) -> list[Heading]:
    """Titles underlined (and optionally overlined) with punctuation; the level of each adornment
    style is the order in which the document first uses it, as docutils does."""
    found: list[Heading] = []
    styles: list[tuple[str, bool]] = []
    row = 0
    while row < len(lines) - 1:
        line = lines[row]
        over = _RST_ADORNMENT.match(line)
        if over and row + 2 < len(lines) and lines[row + 1].strip() and lines[row + 2].strip() == line.strip() \
                and (row == 0 or not lines[row - 1].strip()):
            heading = (row, (over.group(1), True), lines[row + 1].strip(), 3)
        else:
            under = _RST_ADORNMENT.match(lines[row + 1])
            title = line.rstrip()
            if not (under and title and not title[0].isspace() and not _RST_ADORNMENT.match(title)
                    and len(lines[row + 1].rstrip()) >= min(len(title), 4)
                    and (row == 0 or not lines[row - 1].strip())):
                row += 1
                continue
            heading = (row, (under.group(1), False), title.strip(), 2)
        first, style, title, size = heading
        if style not in styles:
            styles.append(style)
        found.append((first, styles.index(style) + 1, title, size))
        row = first + size
    return found


def asciidoc_headings(lines: list[str]) -> list[Heading]:
    """``= Title`` / ``== Section`` (or ``#`` markers), outside delimited blocks."""
    found: list[Heading] = []
    block = ""
    for row, line in enumerate(lines):
        delimiter = _ADOC_BLOCK.match(line)
        if block:
            if delimiter and line.strip() == block:
                block = ""
            continue
        if delimiter:
            block = line.strip()
            continue
        title = _ADOC_TITLE.match(line)
        if title:
            found.append((row, len(title.group(1)), title.group(2).strip(), 1))
    return found


_VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(\.\d+)*|\bunreleased\b", re.IGNORECASE)


def release_headings(headings: list[Heading]) -> list[Heading]:
    """A changelog's headings down to the level of its releases (the first heading naming a version):
    each release becomes one chunk, with its "Fixed"/"Added" subsections inside it."""
    level = next((h[1] for h in headings if _VERSION.search(h[2])), None)
    if level is None:
        return headings
    return [h for h in headings if h[1] <= level]
