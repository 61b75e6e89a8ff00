"""Giving disk space back: a repository removed whole, and what interrupted work and older models left behind.

A removal takes the repository's lock (no ingest or sync of it may run meanwhile), deletes its vectors first
and its catalog rows after (a removal killed in between leaves the repository listed, and running it again
finishes it), then its clone and its share of the search cache, and compacts the catalog so the file shrinks.
The sync's record of what was published stays: the next full sync removes the repository from the cloud.

The clean-up never touches what is in use: a temporary clone only while no process holds its repository's lock,
an unfinished model export only while no process holds the models' export lock.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from .disk import folder_bytes
from .errors import PharosError
from .model import graphs
from .model.embedder import model_folder, model_cache_dir
from .model.export import EXPORT_LOCK
from .run.cancel import CancelToken
from .run.repo_lock import repo_lock
from .source.checkout import remove_tree
from .workspace import Workspace

log = logging.getLogger(__name__)


class RepoBusy(PharosError):
    """The repository is being ingested or synced; removing it must wait."""


@dataclass
class Removed:
    name: str
    vectors: int  # vectors deleted from the store
    chunks: int  # catalog rows
    freed: int  # bytes the data folder shrank by
    compacted: bool  # False: another process kept the catalog from shrinking now; its space is reused later


@dataclass
class Cleaned:
    removed: list[str] = field(default_factory=list)  # what went, as paths
    kept_in_use: list[str] = field(default_factory=list)
    freed: int = 0


def remove_repository(workspace: Workspace, name_or_id: str) -> Removed:
    repo = workspace.catalog.get_repo(name_or_id)
    before = folder_bytes(workspace.data_folder)

    def busy() -> None:
        raise RepoBusy(f"{repo.name} is being ingested or synced now: cancel that job, or remove it once it ends")

    with repo_lock(workspace.data_folder, repo.repo_id, cancel=CancelToken(), on_wait=busy):
        vectors = workspace.vectors().remove_repo(repo.repo_id)
        chunks = repo.chunks
        workspace.catalog.delete_repo(repo.repo_id, by_user=True)
        remove_tree(workspace.clones_dir / repo.repo_id)
        if repo.model and repo.dim:
            _refresh_search_cache(workspace, repo.model, repo.dim)
        compacted = workspace.catalog.reclaim()
    freed = before - folder_bytes(workspace.data_folder)
    log.info("removed %s: %d vectors, %d chunks, %d bytes freed", repo.repo_id, vectors, chunks, freed)
    return Removed(repo.name, vectors, chunks, freed, compacted)


def _refresh_search_cache(workspace: Workspace, model: str, dim: int) -> None:
    """The search cache of the model without the removed repository: made again if others remain, else gone."""
    if workspace.catalog.chunk_ids_made_by(model, dim):
        workspace.refresh_search_snapshot(model, dim)
    else:
        workspace.search_cache_path(model, dim).unlink(missing_ok=True)


def clean_up(workspace: Workspace) -> Cleaned:
    """Temporary clones of interrupted clones, unfinished model exports, and graphs of models no longer set."""
    cleaned = Cleaned()
    for temp in sorted(workspace.clones_dir.glob(".*.tmp-*")):
        repo_id = temp.name[1:].split(".tmp-")[0]
        try:
            with repo_lock(workspace.data_folder, repo_id, cancel=CancelToken(), on_wait=_in_use):
                _remove(temp, cleaned)
        except _InUse:
            cleaned.kept_in_use.append(str(temp))
    models = model_cache_dir()
    lock = FileLock(models / EXPORT_LOCK) if models.is_dir() else None
    if lock is not None:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            cleaned.kept_in_use.extend(str(path) for path in models.glob(".export-*"))
        else:
            try:
                for path in sorted(models.glob(".export-*")):
                    _remove(path, cleaned)
                for path in _unused_graphs(models, model_folder(workspace.settings)):
                    _remove(path, cleaned)
            finally:
                lock.release()
    return cleaned


class _InUse(Exception):
    pass


def _in_use() -> None:
    raise _InUse()


def _unused_graphs(models: Path, current: Path | None) -> list[Path]:
    """Graph folders not made from the weights the settings name now (another model, older weights or export)."""
    unused = []
    for folder in sorted(models.iterdir()):
        try:
            info = json.loads((folder / graphs.INFO).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not a graph folder (the OpenVINO compile cache, say)
        if current is None or info.get("source") != str(current) or \
                info.get("fingerprint") != graphs.fingerprint(current):
            unused.append(folder)
    return unused


def _remove(path: Path, cleaned: Cleaned) -> None:
    size = folder_bytes(path)
    try:
        remove_tree(path) if path.is_dir() else path.unlink(missing_ok=True)
    except (OSError, PharosError) as exc:
        log.warning("could not remove %s: %s", path, exc)
    if not path.exists():
        cleaned.removed.append(str(path))
        cleaned.freed += size
