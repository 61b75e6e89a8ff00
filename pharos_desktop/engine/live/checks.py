"""When each remote repository was last looked at, and what was found: so that "checked 3 min ago" and
"check failed: <reason>" are true in every process that shows a status (`repos`, the window, the assistants'
server), not only in the one that looked. One small JSON file in the data folder, replaced whole."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

FILE = "remote_checks.json"


@dataclass(frozen=True)
class Check:
    at: float  # when the remote was asked
    head: str = ""  # the commit its branch pointed at then ("" when the look failed)
    error: str = ""  # the one line a failed look gave
    indexed: str = ""  # the commit the index held when the branch was seen to move,
    behind: int | None = None  # and how many commits the branch was past it then (None: not known)


def read_checks(data_folder: Path) -> dict[str, Check]:
    try:
        stored = json.loads((Path(data_folder) / FILE).read_text(encoding="utf-8"))
        return {repo_id: Check(**fields) for repo_id, fields in stored.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}  # none yet, or damaged: the next look writes it again


def record_check(data_folder: Path, repo_id: str, head: str = "", error: str = "", indexed: str = "",
                 behind: int | None = None) -> Check:
    """A failed look keeps what the last good one found: the index is still that far behind."""
    checks = read_checks(data_folder)
    last = checks.get(repo_id)
    if error and last is not None:
        head, indexed, behind = last.head, last.indexed, last.behind
    check = Check(time.time(), head, error, indexed, behind)
    checks[repo_id] = check
    path = Path(data_folder) / FILE
    temp = path.with_suffix(f".{os.getpid()}.tmp")
    temp.write_text(json.dumps({k: asdict(v) for k, v in checks.items()}), encoding="utf-8")
    os.replace(temp, path)
    return check
