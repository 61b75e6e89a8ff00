"""`pharos-desktop watch [REPO...] [--pause | --resume]`: keep local folders' indexes up to date as they
change, and remote repositories' as their branch moves (a look every live_remote_minutes), without the window
(a server, a terminal session), until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

from ..engine.errors import Cancelled, PharosError, UsageError
from ..engine.run.cancel import CancelToken
from .cancellable import run_cancellable


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "watch", help="keep indexes up to date as files change and remotes move (until Ctrl-C or SIGTERM)",
        description="Watch local folders and update their index as files are saved, created, deleted or renamed, "
                    "and when HEAD moves (commit, branch switch, pull, reset). Remote repositories: every "
                    "live_remote_minutes (default 60; 0: never) one git ls-remote, and a fetch and update only when "
                    "the branch moved; with live_sync_after the update is then published to the cloud. Without "
                    "REPO: every repository already ingested. Work waits while paused or on battery (setting "
                    "live_on_battery allows it) and runs at low priority within max_cores.")
    parser.add_argument("repos", nargs="*", metavar="REPO", help="a local folder, or the name or id of a repository "
                                                                    "ingested")
    switch = parser.add_mutually_exclusive_group()
    switch.add_argument("--pause", action="store_true", help="hold all automatic work back (a running watch too)")
    switch.add_argument("--resume", action="store_true", help="let automatic work run again")
    # the child a watch runs its updates in (engine/live/update.py): requests on stdin, events on stdout
    switch.add_argument("--updates-child", action="store_true", help=argparse.SUPPRESS)


def run(args, workspace) -> int:
    from ..engine.live.remote import RemoteFollower
    from ..engine.live.update import UpdateChild
    from ..engine.live.watcher import LiveIndex
    from ..engine.run.priority import lower_priority
    from ..engine.source import parse_source

    if args.updates_child:
        return _serve_updates(workspace)
    if args.pause or args.resume:
        workspace.settings.live_paused = args.pause
        workspace.settings.save()
        print("automatic work paused" if args.pause else "automatic work resumed")
        return 0
    catalog = workspace.catalog
    repos = []
    for name in args.repos:
        if Path(name).is_dir():
            repo = catalog.find_repo(parse_source(name).repo_id)
            if repo is None:
                raise UsageError(f"{name} is not ingested yet: pharos-desktop ingest {name} first")
        else:
            repo = catalog.get_repo(name)  # a name or an id; one line with the choices if none
        repos.append(repo)
    repos = repos or catalog.list_repos()
    if not repos:
        raise UsageError("nothing to watch: pharos-desktop ingest <folder or url> first")
    local = [repo for repo in repos if repo.kind == "local"]
    remote = [repo for repo in repos if repo.kind != "local"]
    minutes = workspace.settings.live_remote_minutes
    if remote and not minutes and not local:
        raise UsageError("remote repositories are looked at every live_remote_minutes, which is 0 (never): "
                         "set it in settings.json or the window's Settings")
    if workspace.settings.low_priority:
        lower_priority()  # automatic work: the user's own always comes first
    lock = threading.Lock()

    def report(name: str, line: str) -> None:
        with lock:
            print(f"{time.strftime('%H:%M:%S')} {name}: {line}", file=sys.stderr, flush=True)

    cancel = CancelToken()
    # Updates run in child processes, so that this process stays the size of a watcher: a folder's child is kept
    # a while (the next save does not wait for the model to load); a remote's, hourly, ends with its update.
    local_updates, remote_updates = UpdateChild(workspace, cancel), UpdateChild(workspace, cancel, linger=0)
    live = LiveIndex(workspace, local, cancel=cancel, report=report, update=local_updates)
    follower = RemoteFollower(workspace, remote if minutes else [], cancel=cancel, report=report,
                              update=remote_updates)
    if local:
        print(f"watching {len(local)} folder{'s' if len(local) != 1 else ''}: "
              f"{', '.join(repo.name for repo in local)} (Ctrl-C stops)", file=sys.stderr, flush=True)
    if remote and not minutes:
        print(f"not following {len(remote)} remote repositor{'ies' if len(remote) != 1 else 'y'}: "
              "live_remote_minutes is 0 (never)", file=sys.stderr, flush=True)
    if remote and minutes:
        print(f"following {len(remote)} remote repositor{'ies' if len(remote) != 1 else 'y'} every {minutes} min: "
              f"{', '.join(repo.name for repo in remote)}" + ("" if local else " (Ctrl-C stops)"),
              file=sys.stderr, flush=True)
    remotes = threading.Thread(target=follower.run, name="pharos-remote", daemon=True)
    remotes.start()
    try:
        run_cancellable(live.run, cancel)
    except Cancelled:
        pass
    finally:
        cancel.cancel()
        remotes.join(timeout=30)
        local_updates.stop()
    print("stopped watching", file=sys.stderr)
    return 0


def _serve_updates(workspace) -> int:
    """The update child: one ingest per request line, its events as JSON lines, until stdin closes or says
    "cancel" (run/child.py). Work already stored is kept when it is cancelled: the next update finishes it."""
    from ..engine.ingest import Ingestor
    from ..engine.run.child import json_lines, requests_on_stdin
    from ..engine.run.task import Task
    from ..engine.states import JobKind

    cancel = CancelToken()  # its priority is the watch's, lowered already: lowering it again would be twice
    for line in requests_on_stdin(cancel):
        request = json.loads(line)
        task = Task(JobKind.INGEST, json_lines, cancel, request["job_id"])
        try:
            Ingestor(workspace).ingest(request["source"], request["branch"], task=task)
        except Cancelled:
            break
        except PharosError:
            pass  # said in the job's JobFailed event, which ends the parent's wait
    return 0
