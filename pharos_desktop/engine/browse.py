"""One file of the index as a front end shows it: its text, its language and its chunks (their lines
and labels), read the same way for the window and any other reader.

The text comes from the checkout while the file there is the one indexed (the same bytes, by their git
blob id); otherwise (the checkout is gone, or the file changed since) it is rebuilt from the chunks,
each of which carries its lines, so the chunks' line numbers always point at the right text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .index.catalog import Catalog, ChunkRecord, RepoRecord
from .errors import UsageError
from .files.scan import decode_text, git_blob_sha1
from .parse import detect_language

MAX_READ_BYTES = 4_000_000  # over this, a checkout file is not shown from disk (indexed files are far smaller)
# Chunks of these kinds hold an outline of their members, not the file's lines.
OUTLINE_KINDS = ("class", "struct", "interface", "trait", "enum")


@dataclass
class BrowsedFile:
    repo: RepoRecord
    path: str
    language: str | None
    text: str  # "\n" line ends
    from_checkout: bool  # False: rebuilt from the chunks (the checkout is gone or the file changed)
    chunks: list[ChunkRecord]  # in file order; each spans start_line..end_line of text, labelled by kind and symbol


def browse_file(catalog: Catalog, repo_id: str, path: str) -> BrowsedFile:
    repo = catalog.find_repo(repo_id)
    if repo is None:
        raise UsageError(f"no ingested repository with id {repo_id!r}")
    record = catalog.file_state(repo_id, path)
    chunks = catalog.chunks_for_file(repo_id, path)
    data = _checkout_bytes(repo, path)
    # A file without chunks has no lines to keep in step with: whatever the checkout holds is shown.
    fresh = data is not None and (not chunks or record is not None and git_blob_sha1(data) == record.content_hash)
    text = decode_text(data) if fresh else text_from_chunks(chunks)
    language = record.language if record and record.language else detect_language(path)
    return BrowsedFile(repo, path, language, text.replace("\r\n", "\n"), fresh, chunks)


def text_from_chunks(chunks: list[ChunkRecord]) -> str:
    """Chunks carry their lines; laid back at their line numbers they give the file (gaps stay blank).
    Only chunks that hold their lines as they are: not outlines, nor the gathered top-level code of a
    module, whose lines come from all over the file."""
    lines: list[str] = []
    for chunk in chunks:
        code = chunk.code.split("\n")
        if chunk.kind in OUTLINE_KINDS or len(code) != chunk.end_line - chunk.start_line + 1:
            continue
        for offset, line in enumerate(code):
            index = chunk.start_line - 1 + offset
            while len(lines) <= index:
                lines.append("")
            lines[index] = line
    return "\n".join(lines)


def chunk_lines(chunk: ChunkRecord, lines: list[str]) -> set[int] | None:
    """The lines (1-based) of the file's ``lines`` that a chunk gathered from rows apart holds: a file's imports or
    its top-level code, spread over it, so that marking start..end would take in the functions between. None
    where the whole range is the chunk's: its lines run unbroken, it is an outline (it stands for its members),
    or its rows are not found there in order (a split part's repeated signature, a file changed since)."""
    code = chunk.code.split("\n")
    if chunk.kind in OUTLINE_KINDS or len(code) == chunk.end_line - chunk.start_line + 1:
        return None
    found: set[int] = set()
    at, stop = chunk.start_line - 1, min(chunk.end_line, len(lines))
    for row in (row.rstrip() for row in code):
        if not row:
            continue
        while at < stop and lines[at].rstrip() != row:
            at += 1
        if at >= stop:
            return None
        found.add(at + 1)
        at += 1
    return found or None


def _checkout_bytes(repo: RepoRecord, path: str) -> bytes | None:
    if not repo.checkout_path:
        return None
    try:
        # O_NOFOLLOW: a file swapped for a symlink since the ingest shows nothing outside the checkout.
        fd = os.open(Path(repo.checkout_path) / path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as handle:
            data = handle.read(MAX_READ_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_READ_BYTES else None
