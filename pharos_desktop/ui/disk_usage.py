"""What the data folder takes on disk: each repository's share in the list's Disk column, the total (and the
cap, with a warning near it) in the status bar, measured on the chores' thread whenever the list is reloaded.
Removing a repository and cleaning up leftovers, which the user waits for, run on a read thread
(engine/removal.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from ..engine.disk import DiskUsage, measure, near_cap
from ..engine.removal import Cleaned, Removed, clean_up, remove_repository
from ..engine.workspace import Workspace
from .format import size
from .latest import NewestOnly
from .palette import WARNING, styled
from .repo_list import RepoList
from .threads import Threads


def total_words(usage: DiskUsage) -> str:
    return f"Data folder: {size(usage.total)}" + (f" of {size(usage.cap)}" if usage.cap else "")


class DiskUsageView(QLabel):
    """The status bar's total; it fills the repository list's Disk column as it goes."""

    def __init__(self, workspace: Workspace, threads: Threads, repo_list: RepoList,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.threads, self.repo_list = workspace, threads, repo_list
        self._reads = NewestOnly(threads, chores=True)
        self.usage: DiskUsage | None = None
        self.warning = ""

    def refresh(self) -> None:
        self._reads.read(lambda: measure(self.workspace), self._show, lambda _exc: None)

    def _show(self, usage: DiskUsage) -> None:
        self.usage = usage
        self.repo_list.set_disk(usage)
        self.warning = near_cap(usage)
        self.setText(total_words(usage) + (" — near its cap" if self.warning else ""))
        self.setStyleSheet(styled(WARNING) if self.warning else "")
        parts = [f"{repo.name}: {size(repo.total)} (checkout {size(repo.checkout)}, vectors {size(repo.vectors)}, "
                 f"catalog {size(repo.catalog)}, caches {size(repo.caches)})" for repo in usage.repos]
        parts += [f"{name}: {size(nbytes)}" for name, nbytes in usage.shared.items() if nbytes]
        self.setToolTip("\n".join([self.warning or str(usage.folder), *parts]))

    def remove(self, parent: QWidget, on_done) -> None:
        """Ask, then remove the selected repository on a read thread; ``on_done(line)`` says what happened."""
        repo = self.repo_list.selected_repo()
        if repo is None:
            return
        shown = self.usage.of(repo.repo_id) if self.usage else None
        freed = f" (about {size(shown.total)})" if shown else ""
        answer = QMessageBox.question(parent, "Remove repository",
                                      f"Remove {repo.name} from Pharos? Its clone, vectors and index rows are "
                                      f"deleted{freed}; the repository itself is not touched.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.threads.read(lambda: remove_repository(self.workspace, repo.repo_id),
                          lambda removed: on_done(removed_words(removed)), lambda exc: on_done(str(exc)))

    def clean_up(self, on_done) -> None:
        self.threads.read(lambda: clean_up(self.workspace), lambda cleaned: on_done(cleaned_words(cleaned)),
                          lambda exc: on_done(str(exc)))


def removed_words(removed: Removed) -> str:
    return f"Removed {removed.name}: {size(removed.freed)} freed"


def cleaned_words(cleaned: Cleaned) -> str:
    if not cleaned.removed and not cleaned.kept_in_use:
        return "Nothing to clean up"
    return (f"Cleaned up {len(cleaned.removed)} leftovers: {size(cleaned.freed)} freed"
            + (f"; {len(cleaned.kept_in_use)} in use, kept" if cleaned.kept_in_use else ""))
