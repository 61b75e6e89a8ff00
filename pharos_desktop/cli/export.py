"""`pharos-desktop export REPO --jsonl`: one JSON object per chunk; `text` is exactly what was embedded."""

from __future__ import annotations

import sys

from .output import json_line


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("export", help="write a repository's chunks as JSON lines")
    parser.add_argument("repo", help="repository name or id")
    parser.add_argument("--jsonl", action="store_true", default=True, help="JSON lines (the only format, default)")


def run(args, workspace) -> int:
    repo = workspace.catalog.get_repo(args.repo)
    out = sys.stdout
    for chunk in workspace.catalog.iter_chunks(repo.repo_id):
        out.write(json_line({"id": chunk.chunk_id, "path": chunk.path, "symbol": chunk.symbol, "kind": chunk.kind,
                           "language": chunk.language, "start_line": chunk.start_line,
                           "end_line": chunk.end_line, "summary": chunk.summary, "text": chunk.embedded_text}))
    out.flush()
    return 0
