"""`pharos-desktop ingest SOURCE [--branch B] [--json | --events]`"""

from __future__ import annotations

import argparse

from ..engine.run.cancel import CancelToken
from .cancellable import run_cancellable
from .output import print_json
from .render import make_emitter


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("ingest", help="clone (or open) a repository and index it",
                                   description="Clone a git URL (https, ssh, git@host:owner/repo, file://) or read "
                                               "a local folder, then parse, embed and index it. Running it again "
                                               "updates the index in place and resumes an interrupted run.")
    parser.add_argument("source", help="git URL or local folder")
    parser.add_argument("--branch", "-b", help="branch to clone (default: the remote's default branch)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--events", action="store_true",
                        help="write the engine's events as JSON lines to stdout (how the window runs an ingest)")
    parser.add_argument("--job-id", help=argparse.SUPPRESS)
    parser.add_argument("--cancel-on-stdin", action="store_true", help=argparse.SUPPRESS)


def run(args, workspace) -> int:
    # Imported here, not at the top: every command's parser is built on each start, and a search must not pay
    # for the ingest's imports (see bench/bench_search_cli.py).
    from ..engine.ingest import Ingestor
    from ..engine.run.child import cancel_on_stdin, json_lines
    from ..engine.run.task import Task, new_job_id
    from ..engine.states import JobKind
    from ..engine.run.priority import lower_priority

    cancel = CancelToken()
    if args.cancel_on_stdin:
        cancel_on_stdin(cancel)
    if args.events and workspace.settings.low_priority:
        lower_priority()  # the window's ingest child: the user keeps working meanwhile
    emit = json_lines if args.events else make_emitter(verbose=args.verbose)
    try:
        task = Task(JobKind.INGEST, emit, cancel, args.job_id or new_job_id())
        result = run_cancellable(lambda: Ingestor(workspace).ingest(args.source, args.branch, task=task), cancel)
    finally:
        if not args.events:
            emit.close()
    if args.events:
        return 0
    if args.json:
        print_json(result.as_dict())
    else:
        reasons = ", ".join(f"{n} {reason}" for reason, n in result.skipped_reasons.items())
        print(f"{result.repo} @ {result.commit[:12] or 'working tree'}: {result.files} files, {result.chunks} chunks "
              f"({result.embedded} embedded now) in {result.seconds:.1f} s")
        if result.skipped:
            print(f"skipped {result.skipped} files: {reasons}")
    return 0
