"""What the data folder holds on disk, per repository, and the cap the user may put on it.

Every byte under the data folder is counted once. A repository's checkout (its clone; a local folder is the
user's own and costs nothing here) and its collections' index folders in the vector store are counted exactly;
its shares of the vector store's database, of the catalog (rows and keyword index) and of the caches are split
by how many chunks (vectors, caches) or how much stored text (catalog) each repository has. What belongs to no
repository (models, logs, locks, temporary folders) is counted apart, so the parts add up to the folder's
total. Reads files and the catalog only: run it off the UI thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PharosError
from .index.vectors import repo_segments

if TYPE_CHECKING:
    from .workspace import Workspace

# The data folder's top-level entries that hold repositories' data, split among them; anything else is shared.
_VECTORS = ("vectors",)
_CACHES = ("search-index", "search-cache")  # search-cache: the copy before the search index, until replaced
_CATALOG_PREFIX = "catalog.sqlite"
# Bytes the index takes per byte of source read (catalog rows and its write-ahead log, keyword index, Chroma's
# vectors and its own log of them, the search cache): 12-26 measured on ingests of this project's package,
# its tests and `requests`; plus what a data folder's first ingest makes (the stores themselves).
# tests/test_disk_budget.py checks the estimate is not below what an ingest takes.
INDEX_BYTES_PER_SOURCE_BYTE = 25
INDEX_BYTES_FIXED = 2 * 2**20
MB = 2**20


class OverBudget(PharosError):
    """An ingest would take the data folder past the user's cap; the message says how to make room."""


@dataclass
class RepoUsage:
    repo_id: str
    name: str
    checkout: int = 0
    vectors: int = 0
    catalog: int = 0  # its rows and keyword-index entries (an estimate: its share of the file)
    caches: int = 0

    @property
    def total(self) -> int:
        return self.checkout + self.vectors + self.catalog + self.caches


@dataclass
class DiskUsage:
    folder: Path
    repos: list[RepoUsage]
    shared: dict[str, int] = field(default_factory=dict)  # models, logs, temporary, other: no repository's
    cap: int = 0  # bytes; 0: no cap

    @property
    def total(self) -> int:
        return sum(repo.total for repo in self.repos) + sum(self.shared.values())

    def of(self, repo_id: str) -> RepoUsage | None:
        return next((repo for repo in self.repos if repo.repo_id == repo_id), None)


def folder_bytes(path: Path) -> int:
    """Bytes allocated under ``path`` (a file or a folder), links not followed; what is gone meanwhile counts 0."""
    try:
        if not path.is_dir() or path.is_symlink():
            return path.lstat().st_size
    except OSError:
        return 0
    total = 0
    for root, folders, files in os.walk(path):
        for name in files + [f for f in folders if os.path.islink(os.path.join(root, f))]:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` split in proportion to ``weights``, in whole bytes that add up to it exactly."""
    whole = sum(weights.values())
    if not whole:
        return {key: 0 for key in weights}
    shares = {key: total * weight // whole for key, weight in weights.items()}
    if shares:
        largest = max(weights, key=weights.__getitem__)
        shares[largest] += total - sum(shares.values())
    return shares


def measure(workspace: "Workspace") -> DiskUsage:
    folder = workspace.data_folder
    repos = {repo.repo_id: RepoUsage(repo.repo_id, repo.name) for repo in workspace.catalog.list_repos()}
    chunks = dict(workspace.catalog.read("SELECT repo_id, COUNT(*) FROM chunks GROUP BY repo_id").fetchall())
    text = dict(workspace.catalog.read(
        "SELECT repo_id, SUM(LENGTH(code) + LENGTH(embedded_text) + LENGTH(summary) + LENGTH(signature) + 64) "
        "FROM chunks GROUP BY repo_id").fetchall())
    chunk_weights = {repo_id: chunks.get(repo_id, 0) for repo_id in repos}
    text_weights = {repo_id: text.get(repo_id, 0) or 0 for repo_id in repos}
    shared = {"models": 0, "logs": 0, "temporary": 0, "other": 0}
    whole = {"vectors": 0, "catalog": 0, "caches": 0}
    for entry in _entries(folder):
        name, size = entry.name, folder_bytes(entry)
        if name == "clones":
            for clone in _entries(entry):
                owner = repos.get(clone.name)
                if owner is not None:
                    owner.checkout += folder_bytes(clone)
                else:  # an interrupted clone's .tmp- folder, or the clone of a repository no longer listed
                    shared["temporary"] += folder_bytes(clone)
        elif name in _VECTORS:
            whole["vectors"] += _own_vectors(entry, repos)
        elif name in _CACHES:
            whole["caches"] += size
        elif name.startswith(_CATALOG_PREFIX):
            whole["catalog"] += size
        elif name in ("models", "logs"):
            shared[name] += size
        else:
            shared["other"] += size
    for part, weights in (("vectors", chunk_weights), ("caches", chunk_weights), ("catalog", text_weights)):
        shares = _split(whole[part], weights) if repos else {}
        for repo_id, share in shares.items():
            setattr(repos[repo_id], part, getattr(repos[repo_id], part) + share)
        shared["other"] += whole[part] - sum(shares.values())  # no repository left to carry it
    return DiskUsage(folder, list(repos.values()), shared, workspace.settings.disk_cap_mb * MB)


def _own_vectors(store: Path, repos: dict[str, RepoUsage]) -> int:
    """Each repository's index folders (one a collection) counted to it; returns the bytes of the rest (Chroma's
    database, with its rows and its log; folders no listed repository's collection owns), to be split."""
    owner_of = {segment: repo_id for repo_id, segments in (repo_segments(store) or {}).items()
                for segment in segments}
    rest = 0
    for entry in _entries(store):
        owner = repos.get(owner_of.get(entry.name, ""))
        if owner is not None:
            owner.vectors += folder_bytes(entry)
        else:
            rest += folder_bytes(entry)
    return rest


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def size_words(nbytes: int | float) -> str:
    """A size as people read it: 512 B, 3.4 MB, 1.2 GB."""
    value = float(nbytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def ingest_estimate(source_bytes: int) -> int:
    """What an ingest that reads ``source_bytes`` of files adds to the index, roughly."""
    return INDEX_BYTES_FIXED + source_bytes * INDEX_BYTES_PER_SOURCE_BYTE


def check_budget(workspace: "Workspace", name: str, source_bytes: int) -> None:
    """Raise OverBudget when indexing ``source_bytes`` more would take the data folder past its cap."""
    cap = workspace.settings.disk_cap_mb * MB
    if not cap or not source_bytes:
        return
    used = folder_bytes(workspace.data_folder)
    more = ingest_estimate(source_bytes)
    if used + more > cap:
        raise OverBudget(over_budget_line(name, more, used, cap))


def over_budget_line(name: str, more: int, used: int, cap: int) -> str:
    return (f"not indexed: {name} needs about {size_words(more)} more, and the data folder ({size_words(used)}) "
            f"would pass its {size_words(cap)} cap; remove a repository (pharos-desktop repos --remove NAME) "
            "or raise the disk cap in Settings (PHAROS_DISK_CAP_MB)")


def near_cap(usage: DiskUsage) -> str:
    """A warning line when the data folder is at 90 % of its cap or more, else ""."""
    if not usage.cap or usage.total < 0.9 * usage.cap:
        return ""
    where = "is over" if usage.total > usage.cap else "is close to"
    return (f"the data folder ({size_words(usage.total)}) {where} its {size_words(usage.cap)} cap: the next ingest "
            "may be refused; remove a repository or raise the cap in Settings")
