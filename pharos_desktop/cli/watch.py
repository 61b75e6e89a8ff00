"""`pharos-desktop watch [REPO...] [--pause | --resume]`: keep local folders' indexes up to date as they
change, without the window (a server, a terminal session), until Ctrl-C or SIGTERM."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from ..engine.errors import Cancelled, UsageError
from ..engine.run.cancel import CancelToken
from .cancellable import run_cancellable


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "watch", help="keep local folders' indexes up to date as files change (until Ctrl-C or SIGTERM)",
        description="Watch local folders and update their index as files are saved, created, deleted or renamed, "
                    "and when HEAD moves (commit, branch switch, pull, reset). Without REPO: every local folder "
                    "already ingested. Work waits while paused or on battery (setting live_on_battery allows it) "
                    "and runs at low priority within max_cores.")
    parser.add_argument("repos", nargs="*", metavar="REPO", help="a local folder, or the name or id of one ingested")
    switch = parser.add_mutually_exclusive_group()
    switch.add_argument("--pause", action="store_true", help="hold all automatic work back (a running watch too)")
    switch.add_argument("--resume", action="store_true", help="let automatic work run again")


def run(args, workspace) -> int:
    from ..engine.live.watcher import LiveIndex
    from ..engine.run.priority import lower_priority
    from ..engine.source import parse_source

    if args.pause or args.resume:
        workspace.settings.live_paused = args.pause
        workspace.settings.save()
        print("automatic work paused" if args.pause else "automatic work resumed")
        return 0
    catalog = workspace.catalog
    local = [repo for repo in catalog.list_repos() if repo.kind == "local"]
    repos = []
    for name in args.repos:
        if Path(name).is_dir():
            repo = catalog.find_repo(parse_source(name).repo_id)
            if repo is None:
                raise UsageError(f"{name} is not ingested yet: pharos-desktop ingest {name} first")
        else:
            repo = catalog.get_repo(name)  # a name or an id; one line with the choices if none
        if repo.kind != "local":
            raise UsageError(f"{repo.name} is a clone of {repo.source}: only local folders are watched; "
                             "ingest it again to update it")
        repos.append(repo)
    repos = repos or local
    if not repos:
        raise UsageError("no local folder to watch: pharos-desktop ingest <folder> first")
    if workspace.settings.low_priority:
        lower_priority()  # automatic work: the user's own always comes first
    lock = threading.Lock()

    def report(name: str, line: str) -> None:
        with lock:
            print(f"{time.strftime('%H:%M:%S')} {name}: {line}", file=sys.stderr, flush=True)

    cancel = CancelToken()
    live = LiveIndex(workspace, repos, cancel=cancel, report=report)
    print(f"watching {len(repos)} folder{'s' if len(repos) != 1 else ''}: "
          f"{', '.join(repo.name for repo in repos)} (Ctrl-C stops)", file=sys.stderr, flush=True)
    try:
        run_cancellable(live.run, cancel)
    except Cancelled:
        pass
    print("stopped watching", file=sys.stderr)
    return 0
