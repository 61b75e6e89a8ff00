"""`pharos-desktop worker [--api-url URL] [--queue-url URL] [--once] [--json]`: take the ingestion jobs your
Pharos cloud queues, ingest them here and publish them to the account."""

from __future__ import annotations

import argparse
import json
import sys
import threading

from ..engine.run.cancel import CancelToken
from ..engine.errors import UsageError
from ..engine.run.events import CloudJobSummary, JobFinished, WorkerStatus
from ..engine.states import WorkerActivity
from .cancellable import run_cancellable
from .render import make_emitter

STOP_GRACE = 5.0


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "worker", help="work for your cloud: ingest and publish the repositories it queues",
        description="Run as your Pharos cloud's edge worker until Ctrl-C or SIGTERM (the job in progress is then "
                    "left for the next start). The cloud token comes from the keyring or PHAROS_TOKEN; the queue "
                    "URL from settings or PHAROS_QUEUE_URL; the queue token from the keyring or PHAROS_QUEUE_TOKEN.")
    parser.add_argument("--api-url", metavar="URL", help="Pharos API base URL (default: from settings)")
    parser.add_argument("--queue-url", metavar="URL", help="the cloud's queue: https://… (Upstash) or redis://…")
    parser.add_argument("--once", action="store_true", help="work through the queue until it is empty, then exit")
    parser.add_argument("--json", action="store_true", help="one JSON line per job on stdout")
    parser.add_argument("--events", action="store_true",
                        help="write the engine's events as JSON lines to stdout (how the window runs the worker)")
    parser.add_argument("--cancel-on-stdin", action="store_true", help=argparse.SUPPRESS)


def run(args, workspace) -> int:
    # Imported here, not at the top: every command's parser is built on each start (see cli/ingest.py).
    from ..engine.run.child import cancel_on_stdin, json_lines
    from ..engine.secrets import CLOUD_TOKEN, get_secret
    from ..engine.worker import CloudWorker, Queue
    from ..engine.worker.queue import queue_token

    queue_url = (args.queue_url or workspace.settings.queue_url).strip()
    if not queue_url:
        raise UsageError("no queue URL: pass --queue-url, set PHAROS_QUEUE_URL, or set it in Settings")
    queue = Queue(queue_url, queue_token(queue_url, lambda line: print(f"warning: {line}", file=sys.stderr)))
    cancel = CancelToken()
    lock = threading.Lock()
    if args.cancel_on_stdin:
        cancel_on_stdin(cancel)
    progress = None if args.events else make_emitter(verbose=args.verbose)

    def emit(event) -> None:
        if args.events:
            json_lines(event)
        elif isinstance(event, JobFinished) and isinstance(event.summary, CloudJobSummary):
            with lock:
                print(job_line(event.summary, args.json), flush=True)
        elif isinstance(event, WorkerStatus):
            told = (WorkerActivity.IDLE, WorkerActivity.BACKING_OFF, WorkerActivity.STOPPED)
            if event.status in told and event.reason != "the queue is empty":
                print(f"worker: {event.status}{': ' + event.reason if event.reason else ''}", file=sys.stderr)
        else:
            progress(event)

    worker = CloudWorker(workspace, queue, api_url=args.api_url or workspace.settings.api_url,
                         token=get_secret(CLOUD_TOKEN), emit=emit)
    try:
        # A stopped worker leaves its job in its processing list for the next start, so after a first
        # SIGTERM or Ctrl-C it waits only a few seconds for the job to wind down.
        run_cancellable(lambda: worker.run(cancel, once=args.once), cancel, grace=STOP_GRACE)
    finally:
        if progress is not None:
            progress.close()
    return 0


def job_line(event: CloudJobSummary, as_json: bool) -> str:
    if as_json:
        return json.dumps({"task_id": event.task_id, "repo_url": event.repo_url, "status": event.status,
                           "reason": event.reason, "seconds": event.seconds, "files": event.files,
                           "chunks": event.chunks}, ensure_ascii=True)
    reason = f": {event.reason}" if event.reason else ""
    return (f"{event.status} {event.repo_url} in {event.seconds:.1f} s ({event.files} files, "
            f"{event.chunks} chunks){reason}")
