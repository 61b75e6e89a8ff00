"""`pharos-desktop repos [--json]`"""

from __future__ import annotations

from ..engine.catalog_repair import raise_if_emptied
from .output import ago, print_json, print_table


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("repos", help="list ingested repositories")
    parser.add_argument("--json", action="store_true")


def run(args, workspace) -> int:
    from ..engine.live.status import repo_status

    repos = workspace.catalog.list_repos()
    if not repos:
        raise_if_emptied(workspace)  # not a new install: the catalog lost what the data folder still holds
    status = {r.repo_id: repo_status(workspace, r) for r in repos}
    if args.json:
        print_json([{"repo": r.name, "repo_id": r.repo_id, "source": r.source, "commit": r.commit,
                     "files": r.files, "chunks": r.chunks, "ingested_at": r.ingested_at, "state": r.state,
                     "branch": r.branch, "skipped": r.skipped, "languages": r.languages, "tree": r.tree,
                     "status": status[r.repo_id]} for r in repos])
        return 0
    if not repos:
        print("no repositories yet: pharos-desktop ingest <url or folder>")
        return 0
    print_table([[r.name, r.repo_id, r.commit[:10], str(r.files), str(r.chunks), status[r.repo_id],
                  ago(r.ingested_at), r.source] for r in repos],
                ["REPO", "ID", "COMMIT", "FILES", "CHUNKS", "STATUS", "INGESTED", "SOURCE"])
    return 0
