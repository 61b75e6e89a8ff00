"""`pharos-desktop search QUERY [--limit N] [--repo R] [--language L] [--kind K] [--path GLOB] [--explain] [--json]`"""

from __future__ import annotations

import sys

from ..engine.errors import UsageError
from ..engine.query.hit_text import as_json, describe, explain, why
from ..engine.query.search import MODES, SearchFilters, Searcher
from .output import print_json

READS_JOBS = False  # (cli.main marks jobs a killed process left only for commands that show or run jobs)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("search", help="search ingested repositories",
                                   description="Semantic search fused with keyword search; one hit per symbol, "
                                               "with a relevance from 0 to 100 and why it matched.")
    parser.add_argument("query")
    parser.add_argument("--limit", "-n", type=int, default=10)
    parser.add_argument("--repo", action="append", help="only this repository (name or id); repeatable")
    parser.add_argument("--language", action="append", help="only this language; repeatable")
    parser.add_argument("--kind", action="append", help="only this chunk kind (function, method, class, ...)")
    parser.add_argument("--path", help="only paths matching this glob, e.g. 'src/*.py'")
    parser.add_argument("--mode", choices=MODES, default="hybrid")
    parser.add_argument("--explain", action="store_true",
                        help="show each hit's rank in the vector and keyword rankings and the words that matched")
    parser.add_argument("--json", action="store_true")


def run(args, workspace) -> int:
    if args.limit < 1:  # a usage error in one line, without argparse's usage block
        raise UsageError(f"--limit must be at least 1, not {args.limit}")
    if not workspace.catalog.repo_names():
        from ..engine.catalog_repair import raise_if_emptied

        raise_if_emptied(workspace)  # else "no results" would hide a catalog that lost its repositories
    repo_ids = [workspace.catalog.get_repo(name).repo_id for name in args.repo] if args.repo else None
    filters = SearchFilters(repo_ids, args.language, args.kind, args.path)
    searcher = Searcher(workspace)
    hits = searcher.search(args.query, limit=args.limit, filters=filters, mode=args.mode)
    if searcher.warning:
        print(f"warning: {searcher.warning}", file=sys.stderr)
    if args.json:
        print_json([as_json(hit, args.explain) for hit in hits])
        return 0
    if not hits:
        print("no results")
    for hit in hits:
        print(f"{hit.relevance:>3}  {hit.repo}:{hit.path}:{hit.start_line}-{hit.end_line}  {describe(hit)}")
        print(f"     why: {why(hit)}")
        if args.explain:
            print("     " + explain(hit))
        if hit.summary:
            print("     " + hit.summary.splitlines()[0])
    return 0

