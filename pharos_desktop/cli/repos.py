"""`pharos-desktop repos [--json] [--remove NAME] [--clean-up]`"""

from __future__ import annotations

from ..engine.catalog_repair import raise_if_emptied
from ..engine.disk import measure, near_cap, size_words
from .output import ago, print_json, print_table


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("repos", help="list ingested repositories and the disk each one takes")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--remove", metavar="NAME", help="remove a repository: its clone, vectors, catalog rows "
                                                         "and caches, and give their disk space back")
    parser.add_argument("--clean-up", action="store_true", help="delete temporary clones left by interrupted "
                                                                "ingests, and model graphs no longer used")


def run(args, workspace) -> int:
    from ..engine.live.status import repo_status

    if args.remove:
        return _remove(args, workspace)
    if args.clean_up:
        return _clean_up(args, workspace)
    repos = workspace.catalog.list_repos()
    if not repos:
        raise_if_emptied(workspace)  # not a new install: the catalog lost what the data folder still holds
    status = {r.repo_id: repo_status(workspace, r) for r in repos}
    usage = measure(workspace)
    disk = {repo.repo_id: repo for repo in usage.repos}
    if args.json:
        print_json([{"repo": r.name, "repo_id": r.repo_id, "source": r.source, "commit": r.commit,
                     "files": r.files, "chunks": r.chunks, "ingested_at": r.ingested_at, "state": r.state,
                     "branch": r.branch, "skipped": r.skipped, "languages": r.languages, "tree": r.tree,
                     "status": status[r.repo_id], "disk": _parts(disk[r.repo_id])} for r in repos])
        return 0
    if not repos:
        print("no repositories yet: pharos-desktop ingest <url or folder>")
        return 0
    print_table([[r.name, r.repo_id, r.commit[:10], str(r.files), str(r.chunks), size_words(disk[r.repo_id].total),
                  status[r.repo_id], ago(r.ingested_at), r.source] for r in repos],
                ["REPO", "ID", "COMMIT", "FILES", "CHUNKS", "DISK", "STATUS", "INGESTED", "SOURCE"])
    print(total_line(usage))
    warning = near_cap(usage)
    if warning:
        print(f"warning: {warning}")
    return 0


def total_line(usage) -> str:
    shared = ", ".join(f"{name} {size_words(nbytes)}" for name, nbytes in usage.shared.items() if nbytes)
    cap = f" of a {size_words(usage.cap)} cap" if usage.cap else ""
    return f"data folder {usage.folder}: {size_words(usage.total)}{cap}" + (f" (besides repositories: {shared})"
                                                                          if shared else "")


def _parts(repo) -> dict:
    return {"checkout": repo.checkout, "vectors": repo.vectors, "catalog": repo.catalog, "caches": repo.caches,
            "total": repo.total}


def _remove(args, workspace) -> int:
    from ..engine.removal import remove_repository

    removed = remove_repository(workspace, args.remove)
    if args.json:
        print_json({"removed": removed.name, "vectors": removed.vectors, "chunks": removed.chunks,
                    "freed": removed.freed, "compacted": removed.compacted})
        return 0
    print(f"removed {removed.name}: {removed.chunks} chunks, {removed.vectors} vectors, "
          f"{size_words(removed.freed)} freed" + ("" if removed.compacted else
                                                  " (the catalog shrinks once other windows let go of it)"))
    return 0


def _clean_up(args, workspace) -> int:
    from ..engine.removal import clean_up

    cleaned = clean_up(workspace)
    if args.json:
        print_json({"removed": cleaned.removed, "in_use": cleaned.kept_in_use, "freed": cleaned.freed})
        return 0
    print(f"cleaned up {len(cleaned.removed)} leftovers, {size_words(cleaned.freed)} freed"
          + (f"; {len(cleaned.kept_in_use)} in use, kept" if cleaned.kept_in_use else ""))
    return 0
