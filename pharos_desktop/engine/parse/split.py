"""Packing lines into chunks that fit a character budget.

Chunk code is handled as *rows*: ``(first_line, last_line, text)`` with 1-based line numbers. A row
is usually one source line; an outline row of a class stands for a whole method (its first line is
the method's signature, its line range the method's). Splitting only ever happens between rows.
"""

from __future__ import annotations

from dataclasses import replace

from ..index.chunks import Chunk

Row = tuple[int, int, str]


def rows_text(rows: list[Row]) -> str:
    return "\n".join(r[2] for r in rows)


def pack(rows: list[Row], budget: int, header: list[str] | None = None) -> list[list[Row]]:
    """Groups of consecutive rows, each at most ``budget`` characters once joined with newlines.

    Groups after the first are measured with ``header`` (the signature lines) in front, since
    they will carry it. A single row longer than the budget is a group by itself.
    """
    budget = max(budget, 1)
    header_len = len("\n".join(header)) + 1 if header else 0
    if header_len > budget // 2:
        header_len = 0
    groups: list[list[Row]] = []
    current: list[Row] = []
    size = 0
    for row in rows:
        extra = len(row[2]) + (1 if current else 0)
        if current and size + extra > budget:
            groups.append(current)
            current, size = [], header_len
            extra = len(row[2])
        current.append(row)
        size += extra
    if current:
        groups.append(current)
    return groups


def split_chunk(chunk: Chunk, rows: list[Row], max_chars: int, header: list[str] | None = None) -> list[Chunk]:
    """The chunk as is when it fits, else parts 1..n; parts after the first start with header.
    A single line longer than max_chars (minified code, one-line JSON) is cut into slices."""
    if any(len(r[2]) > max_chars for r in rows):
        rows = [(r[0], r[1], r[2][i:i + max_chars]) for r in rows for i in range(0, max(len(r[2]), 1), max_chars)]
    text = rows_text(rows)
    if len(text) <= max_chars or len(rows) <= 1:
        return [replace(chunk, code=text, start_line=rows[0][0] if rows else chunk.start_line,
                        end_line=max(r[1] for r in rows) if rows else chunk.end_line)]
    header = header or []
    if header and len("\n".join(header)) + 1 > max_chars // 2:
        header = header[:1]
    if header and len(header[0]) + 1 > max_chars // 2:
        header = []  # a signature line this long (bundled code) would fill every part by itself
    groups = pack(rows, max_chars, header)
    if len(groups) == 1:
        return [replace(chunk, code=text)]
    parts: list[Chunk] = []
    for n, group in enumerate(groups, 1):
        lines = [r[2] for r in group]
        if n > 1 and header:
            lines = header + lines
        parts.append(replace(chunk, code="\n".join(lines), start_line=group[0][0],
                             end_line=max(r[1] for r in group), part=n, parts=len(groups),
                             deps=list(chunk.deps)))
    return parts


def windows(rows: list[Row], size: int, overlap: int) -> list[list[Row]]:
    """Fixed windows of ``size`` rows, each starting ``size - overlap`` rows after the last."""
    if not rows:
        return []
    step = max(size - overlap, 1)
    out: list[list[Row]] = []
    start = 0
    while True:
        out.append(rows[start:start + size])
        if start + size >= len(rows):
            return out
        start += step
