"""`pharos-desktop sync [--repo R] [--api-url URL] [--json]`: publish the local index to the Pharos cloud."""

from __future__ import annotations

import asyncio
import sys

from .cancellable import run_cancellable
from .output import print_json
from .render import make_emitter

def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "sync", help="publish ingested repositories to your Pharos cloud account",
        description="Publish every ingested repository (or one, with --repo) to the Pharos cloud: new files are "
                    "created, changed ones replaced, deleted ones removed; unchanged files cost nothing. The token "
                    "comes from the keyring (set it in the window's Settings) or the PHAROS_TOKEN variable.")
    parser.add_argument("--repo", metavar="R", help="repository name or id (default: all)")
    parser.add_argument("--api-url", metavar="URL", help="Pharos API base URL (default: from settings)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


def run(args, workspace) -> int:
    from ..engine.run.task import Task
    from ..engine.states import JobKind
    from ..engine.sync import Syncer  # here, not at the top: a search must not pay for httpx (see cli/ingest.py)

    syncer = Syncer(workspace, api_url=args.api_url)
    emit = make_emitter(verbose=args.verbose)
    task = Task(JobKind.SYNC, emit)
    try:
        summary = run_cancellable(lambda: asyncio.run(syncer.sync(args.repo, task=task)), task.cancel)
    finally:
        emit.close()
    if args.json:
        print_json(summary.as_dict())
    else:
        print(f"{summary.counts()}; {summary.chunks} chunks uploaded to {syncer.api_url}")
        for failure in summary.failures:
            print(f"  failed: {failure.path}: {failure.message}")
    if summary.failed:
        first = summary.failures[0]
        print(f"pharos-desktop: {summary.failed} files were not published (first: {first.path}: "
              f"{first.message}); run sync again to retry them", file=sys.stderr)
        return 1
    return 0
