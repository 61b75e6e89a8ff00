"""`pharos-desktop worker [--api-url URL] [--queue-url URL] [--once] [--json]`: take the ingestion jobs your
Pharos cloud queues, ingest them here and publish them to the account."""

from __future__ import annotations

import json
import sys

from ..engine.errors import UsageError
from ..engine.secrets import CLOUD_TOKEN, QUEUE_TOKEN, get_secret
from ..engine.worker import CloudWorker, JobOutcome, Queue, WorkerState
from .jobs import run_cancellable
from .render import make_emitter


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


def run(args, workspace) -> int:
    queue_url = (args.queue_url or workspace.settings.queue_url).strip()
    if not queue_url:
        raise UsageError("no queue URL: pass --queue-url, set PHAROS_QUEUE_URL, or set it in Settings")
    queue = Queue(queue_url, get_secret(QUEUE_TOKEN))
    emit = make_emitter(verbose=args.verbose)
    last_status = {"value": ""}

    def on_state(state: WorkerState) -> None:
        if state.status != last_status["value"] and state.status in ("idle", "backing off"):
            print(f"worker: {state.status}{': ' + state.reason if state.reason else ''}", file=sys.stderr)
        last_status["value"] = state.status

    def on_outcome(outcome: JobOutcome) -> None:
        if args.json:
            print(json.dumps(outcome.as_dict(), ensure_ascii=True), flush=True)
        else:
            reason = f": {outcome.reason}" if outcome.reason else ""
            print(f"{outcome.status} {outcome.repo_url} in {outcome.seconds:.1f} s ({outcome.files} files, "
                  f"{outcome.chunks} chunks){reason}", flush=True)

    worker = CloudWorker(workspace, queue, api_url=args.api_url or workspace.settings.api_url,
                         token=get_secret(CLOUD_TOKEN), emit=emit, on_state=on_state, on_outcome=on_outcome)
    try:
        run_cancellable(lambda cancel: worker.run(cancel, once=args.once))
    finally:
        emit.close()
    return 0
