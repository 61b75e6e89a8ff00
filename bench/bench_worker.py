"""Cloud jobs against the real Pharos cloud: time from submit to "completed", and what an idle worker costs.

Run from the repository root:

    .venv/bin/python -m bench.bench_worker [--files 3 1000] [--idle 600]

For each size it builds a repository of that many small Python files, serves it with `git daemon`,
submits it through the cloud's own ingest route and times until the worker records it ``completed``
(ingest on this machine + publish + record). Then it leaves the worker idle for ``--idle`` seconds with
its default polling and counts the requests it made to the queue (each one a billed Upstash command)
and to the cloud, scaled to one hour. Everything runs in throwaway folders.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, nargs="+", default=[3, 1000])
    parser.add_argument("--idle", type=float, default=600.0, help="seconds of idle time to count requests over")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="pharos-bench-worker-"))
    os.environ["PHAROS_HOME"] = str(scratch / "home")
    import httpx

    from pharos_desktop.engine.run.cancel import CancelToken
    from pharos_desktop.engine.run.events import CloudJobSummary, JobFinished
    from pharos_desktop.engine.worker import CloudWorker, Queue
    from pharos_desktop.engine.workspace import Workspace
    from pharos_desktop.tools.sample_repos import make_many_file_repo
    from tests.git_daemon import GitDaemon
    from tests.real_cloud import RealCloud

    cloud = RealCloud.start(scratch / "cloud")
    served = scratch / "served"
    served.mkdir()
    daemon = GitDaemon(served)
    done: list[CloudJobSummary] = []
    workspace = Workspace()

    def emit(event) -> None:
        if isinstance(event, JobFinished) and isinstance(event.summary, CloudJobSummary):
            done.append(event.summary)

    worker = CloudWorker(workspace, Queue(cloud.queue_url, cloud.queue_token), api_url=cloud.api_url,
                         token=cloud.token, emit=emit)
    cancel = CancelToken()
    thread = threading.Thread(target=worker.run, args=(cancel,), daemon=True)
    thread.start()
    try:
        while httpx.get(cloud.api_url + "/api/v1/ingestion/health/worker").json()["state"] != "online":
            time.sleep(0.2)
        for files in args.files:
            url = daemon.publish(make_many_file_repo(scratch / f"repo-{files}", files), f"repo{files}")
            before = len(done)
            started = time.perf_counter()
            with cloud.api() as api:
                assert api.post(f"/api/v1/ingestion/ingest/{url}").status_code == 200
            while len(done) == before:
                time.sleep(0.05)
            outcome = done[-1]
            print(f"{files} files: submit -> {outcome.status} in {time.perf_counter() - started:.1f} s "
                  f"({outcome.files} files, {outcome.chunks} chunks; the worker's own time {outcome.seconds:.1f} s)"
                  + (f" reason: {outcome.reason}" if outcome.reason else ""))
        while worker.state.status != "idle":
            time.sleep(0.1)
        time.sleep(90)  # let the poll interval grow to its idle cap first
        queue0, cloud0 = worker.requests["queue"], worker.requests["cloud"]
        time.sleep(args.idle)
        per_hour = 3600 / args.idle
        print(f"idle for {args.idle:.0f} s: {worker.requests['queue'] - queue0} queue commands, "
              f"{worker.requests['cloud'] - cloud0} cloud requests -> per idle hour about "
              f"{(worker.requests['queue'] - queue0) * per_hour:.0f} queue commands (Upstash-billed) and "
              f"{(worker.requests['cloud'] - cloud0) * per_hour:.0f} cloud requests (heartbeats)")
    finally:
        cancel.cancel()
        thread.join(timeout=60)
        daemon.stop()
        cloud.stop()


if __name__ == "__main__":
    main()
