"""Whether a repository's index is current: the commit it was indexed at against its checkout's HEAD now.

A clone Pharos made moves only when an ingest fetches, so it is current until then; a local folder moves
whenever its owner commits or checks out. Anything that cannot be told (the checkout is gone, it is not a git
repository, git cannot read it) is "unknown", never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import PharosError
from ..index.catalog import RepoRecord
from .git import in_git_work_tree, local_git

CURRENT, STALE, UNKNOWN = "current", "stale", "unknown"


@dataclass(frozen=True)
class Freshness:
    status: str  # current | stale | unknown
    head: str = ""  # the checkout's HEAD now, when it could be read
    reason: str = ""  # why it is stale or unknown, in words

    def describe(self) -> str:
        return self.status + (f" ({self.reason})" if self.reason else "")


def freshness(repo: RepoRecord) -> Freshness:
    if not repo.commit:
        return Freshness(UNKNOWN, reason="indexed from a folder that is not a git repository")
    path = Path(repo.checkout_path) if repo.checkout_path else None
    if path is None or not path.is_dir():
        return Freshness(UNKNOWN, reason="its checkout is gone")
    try:
        if not in_git_work_tree(path):
            return Freshness(UNKNOWN, reason="its checkout is no longer a git repository")
        code, head = local_git(["rev-parse", "--verify", "-q", "HEAD"], path)
    except PharosError as exc:  # git is not installed
        return Freshness(UNKNOWN, reason=str(exc))
    if code != 0 or not head:
        return Freshness(UNKNOWN, reason="its checkout's HEAD cannot be read")
    if head == repo.commit:
        return Freshness(CURRENT, head)
    return Freshness(STALE, head, f"the checkout is at {head[:10]}, the index at {repo.commit[:10]}: ingest it again")
