"""The sync plan: a pure diff of the local index, what we last published, and what the server holds.

No I/O here, so every case (new, changed, deleted, deleted on the server, half-finished, duplicated, doubled
chunks) is a plain unit test. The runner carries the plan out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..states import UploadState


@dataclass(frozen=True)
class LocalFile:
    """An indexed file (a catalog FileRecord) as the sync plan sees it: its cloud URL and fingerprint."""

    repo_id: str
    path: str
    url: str  # normalised
    fingerprint: str
    chunk_count: int


@dataclass(frozen=True)
class Published:
    """A row of the sync state: what an earlier sync did (or started to do) for one file."""

    repo_id: str
    path: str
    url: str
    resource_id: str | None
    fingerprint: str
    status: UploadState  # uploading (started, not finished) | done


@dataclass(frozen=True)
class Action:
    kind: str  # "upload" (create, after deleting stale rows) | "delete" | "forget" (drop state only)
    repo_id: str
    path: str
    url: str = ""
    stale_ids: tuple[str, ...] = ()  # remote resources to delete first
    counts_as: str = ""  # created | updated | repaired | deleted | "" (forget)
    chunk_count: int = 0
    fingerprint: str = ""


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    unchanged: int = 0

    def count(self, what: str) -> int:
        return sum(1 for action in self.actions if action.counts_as == what)

    @property
    def chunks(self) -> int:
        return sum(action.chunk_count for action in self.actions if action.kind == "upload")


def make_plan(local: list[LocalFile], published: list[Published], remote: dict[str, list[str]],
              remote_chunks: dict[str, int] | None = None) -> Plan:
    """``remote``: normalised URL -> ids of the server's resources with that URL (more than one is a duplicate).
    ``remote_chunks``: resource id -> its chunk total on the server, for the resources that were checked
    (after a killed run, or once for what an older version published).

    A file is left alone only when our state says it was finished with this exact fingerprint, the
    server still holds exactly that resource under its URL, and, where checked, with as many chunks as
    the file has. Anything else is published again from scratch: chunks cannot be deleted or updated,
    so a resource that may be incomplete, doubled or stale is deleted and created anew.
    """
    remote_chunks = remote_chunks or {}
    remote_ids = {rid for ids in remote.values() for rid in ids}
    state = {(row.repo_id, row.path): row for row in published}
    plan = Plan()
    for file in local:
        row = state.pop((file.repo_id, file.path), None)
        at_url = remote.get(file.url, [])
        # Matched by id, not by URL: a normalisation of the server's that we do not mirror costs nothing.
        published_here = (row is not None and row.status == UploadState.DONE and row.fingerprint == file.fingerprint
                          and row.url == file.url and row.resource_id in remote_ids
                          and all(rid == row.resource_id for rid in at_url))
        if published_here and remote_chunks.get(row.resource_id, file.chunk_count) == file.chunk_count:
            plan.unchanged += 1
            continue
        stale = _stale_ids(row, remote, remote_ids) | set(at_url)
        counts_as = "repaired" if published_here else "updated" if stale else "created"
        plan.actions.append(Action("upload", file.repo_id, file.path, file.url, tuple(sorted(stale)), counts_as,
                                   file.chunk_count, file.fingerprint))
    for row in state.values():  # published before, no longer indexed locally
        stale = _stale_ids(row, remote, remote_ids)
        if stale:
            plan.actions.append(Action("delete", row.repo_id, row.path, row.url, tuple(sorted(stale)), "deleted"))
        else:
            plan.actions.append(Action("forget", row.repo_id, row.path, row.url))
    return plan


def _stale_ids(row: Published | None, remote: dict[str, list[str]], remote_ids: set[str]) -> set[str]:
    if row is None:
        return set()
    stale = set(remote.get(row.url, []))
    if row.resource_id and row.resource_id in remote_ids:
        stale.add(row.resource_id)
    return stale
