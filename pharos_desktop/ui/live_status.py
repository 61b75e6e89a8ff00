"""Each repository's status words in the repository list, the same words `repos`, `watch` and the assistants'
`list_repositories` show (engine/live/status.py). A local folder's words need a scan of it, so they are worked
out on the chores' thread, never the UI's; again when a job ends, and every minute, so that "checked 3 min ago",
an edit made outside the window, the pause switch, or an update made by `pharos-desktop watch` in another
process show without a click."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ..engine.errors import PharosError
from ..engine.index.catalog import RepoRecord
from ..engine.live.status import repo_status, settings_now
from ..engine.workspace import Workspace
from .latest import NewestOnly
from .repo_list import RepoList
from .threads import Threads

REFRESH_MS = 60_000


def _shown(repos: list[RepoRecord]) -> list[tuple]:
    """What the list shows of each record besides its status: when it differs, the rows are stale."""
    return [(r.repo_id, r.commit, r.state, r.files, r.chunks, r.ingested_at) for r in repos]


def load_statuses(workspace: Workspace, make_way=lambda: None) -> tuple[list[RepoRecord], dict[str, str]]:
    """Chores' thread: the repositories as the catalog holds them now, and each one's status words.
    ``make_way`` is called before each repository (Threads.make_way)."""
    settings = settings_now(workspace)
    repos = workspace.catalog.list_repos()
    statuses = {}
    for repo in repos:
        make_way()
        try:
            statuses[repo.repo_id] = repo_status(workspace, repo, settings)
        except PharosError as exc:
            statuses[repo.repo_id] = f"check failed: {exc}"
    return repos, statuses


class StatusColumn(QObject):
    """Keeps the list's Status column current. ``rows_changed(repos)``: another process (a watcher, the
    command line) changed what the other columns show; the window reloads the list."""

    rows_changed = Signal(object)

    def __init__(self, workspace: Workspace, threads: Threads, repo_list: RepoList,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.threads, self.repo_list = workspace, threads, repo_list
        self._reads = NewestOnly(threads, chores=True)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def refresh(self) -> None:
        # A failed read (a damaged catalog) is said by the list's own refresh, in one line; nothing to add here.
        self._reads.read(lambda: load_statuses(self.workspace, self.threads.make_way), lambda loaded: self._show(*loaded),
                         lambda _exc: None)

    def _show(self, repos: list[RepoRecord], statuses: dict[str, str]) -> None:
        self.repo_list.set_statuses(statuses)
        if _shown(repos) != _shown(list(self.repo_list.repos.values())):
            self.rows_changed.emit(repos)
