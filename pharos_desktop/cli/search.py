"""`pharos-desktop search QUERY [--limit N] [--repo R] [--language L] [--kind K] [--path GLOB] [--explain] [--json]
[--no-resident]`

The resident search process (engine/query/resident.py) answers when one is up for this data folder; else the
search runs here, as it always did, and starts one for the next searches. Either way the output is the same
(engine/query/answer.py makes it). Imports stay light up to the resident's answer: that is the fast path."""

from __future__ import annotations

import sys

from ..engine.errors import UsageError
from ..engine.query import MODES

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
    parser.add_argument("--no-resident", action="store_true",
                        help="search in this process only, and start no resident search process for the next "
                             "searches (so does PHAROS_NO_RESIDENT=1)")


def _request(args) -> dict:
    from ..engine.query.resident import request

    return request(args.query, limit=args.limit, repos=args.repo, languages=args.language, kinds=args.kind,
                   path=args.path, mode=args.mode, explain=args.explain, json=args.json)


def answer_early(args) -> int | None:
    """The resident search process's answer, printed, when one answered; else None (search here)."""
    if args.limit < 1:  # a usage error in one line, without argparse's usage block
        raise UsageError(f"--limit must be at least 1, not {args.limit}")
    from ..engine.query import resident

    args.start_resident = False
    if args.no_resident or resident.disabled():
        return None
    from ..engine.settings import data_folder

    reply = resident.ask(data_folder(), _request(args))
    printable = reply and resident.printable(reply)
    if printable:
        out, err = printable
        for line in err:
            print(line, file=sys.stderr)
        sys.stdout.write(out)
        return 0
    # none answered, or it no longer fits this data folder and is ending: a new one for the next searches
    args.start_resident = reply is None or "refused" in reply
    return None


def run(args, workspace) -> int:
    from ..engine.query.answer import answer
    from ..engine.query.search import Searcher

    if not workspace.catalog.repo_names():
        from ..engine.catalog_repair import raise_if_emptied

        raise_if_emptied(workspace)  # else "no results" would hide a catalog that lost its repositories
    text, warning = answer(Searcher(workspace), _request(args))
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.write(text)
    if getattr(args, "start_resident", False):
        from ..engine.query import resident

        sys.stdout.flush()  # the answer first: the start is for the next search
        resident.start(workspace.data_folder)
    return 0
