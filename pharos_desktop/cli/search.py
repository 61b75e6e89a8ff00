"""`pharos-desktop search QUERY [--limit N] [--repo R] [--language L] [--kind K] [--path GLOB] [--json]`"""

from __future__ import annotations

from dataclasses import asdict

from ..engine.errors import UsageError
from ..engine.search import MODES, SearchFilters, Searcher
from .output import print_json

_JSON_KEYS = ("repo", "path", "symbol", "kind", "language", "start_line", "end_line", "score", "summary")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("search", help="search ingested repositories",
                                   description="Semantic search fused with keyword search (reciprocal rank fusion).")
    parser.add_argument("query")
    parser.add_argument("--limit", "-n", type=int, default=10)
    parser.add_argument("--repo", action="append", help="only this repository (name or id); repeatable")
    parser.add_argument("--language", action="append", help="only this language; repeatable")
    parser.add_argument("--kind", action="append", help="only this chunk kind (function, method, class, ...)")
    parser.add_argument("--path", help="only paths matching this glob, e.g. 'src/*.py'")
    parser.add_argument("--mode", choices=MODES, default="hybrid")
    parser.add_argument("--json", action="store_true")


def run(args, workspace) -> int:
    if args.limit < 1:
        raise UsageError(f"--limit must be at least 1, not {args.limit}")
    repo_ids = [workspace.catalog.get_repo(name).repo_id for name in args.repo] if args.repo else None
    filters = SearchFilters(repo_ids, args.language, args.kind, args.path)
    hits = Searcher(workspace).search(args.query, limit=args.limit, filters=filters, mode=args.mode)
    if args.json:
        print_json([{key: asdict(hit)[key] for key in _JSON_KEYS} for hit in hits])
        return 0
    if not hits:
        print("no results")
    for hit in hits:
        print(f"{hit.score:.3f}  {hit.repo}:{hit.path}:{hit.start_line}-{hit.end_line}  {hit.symbol} ({hit.kind})")
        print("        " + hit.summary.splitlines()[0] if hit.summary else "")
    return 0
