"""A repository as pictures: languages, chunk kinds, where the bytes are, and what was skipped and why.
The numbers are gathered on a worker thread; the charts only paint them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from ..engine.index.catalog import RepoRecord
from ..engine.workspace import Workspace
from .charts import BarChart, DonutChart, Treemap
from .format import plural, size
from .icons import kind_color, language_color
from .latest import NewestOnly
from .threads import Threads

TOP_FILES = 40


@dataclass
class RepoShape:
    repo: RepoRecord
    languages: Counter = field(default_factory=Counter)  # language -> indexed files
    kinds: Counter = field(default_factory=Counter)  # chunk kind -> chunks
    folders: Counter = field(default_factory=Counter)  # top-level folder -> bytes indexed
    largest: list[tuple[str, int, str | None]] = field(default_factory=list)  # path, bytes, language
    skipped: Counter = field(default_factory=Counter)  # reason -> files
    indexed_bytes: int = 0


def measure(workspace: Workspace, repo: RepoRecord) -> RepoShape:
    """Worker thread: one pass over the repository's files and chunks."""
    shape = RepoShape(repo)
    catalog = workspace.catalog
    files = catalog.files(repo.repo_id)
    for record in files:
        if record.skip_reason:
            shape.skipped[record.skip_reason] += 1
            continue
        shape.languages[record.language or "unknown"] += 1
        folder = record.path.split("/", 1)[0] if "/" in record.path else "(top level)"
        shape.folders[folder] += record.size
        shape.indexed_bytes += record.size
    indexed = [f for f in files if not f.skip_reason]
    shape.largest = [(f.path, f.size, f.language) for f in sorted(indexed, key=lambda f: -f.size)[:TOP_FILES]]
    for chunk in catalog.iter_chunks(repo.repo_id):
        shape.kinds[chunk.kind] += 1
    return shape


class OverviewView(QScrollArea):
    def __init__(self, workspace: Workspace, threads: Threads, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.threads = threads
        self.shape: RepoShape | None = None
        self._measures = NewestOnly(threads)
        self.setWidgetResizable(True)
        holder = QWidget()
        self.heading = QLabel("Select a repository to see its overview.")
        self.heading.setWordWrap(True)
        self.languages = DonutChart("Languages (indexed files)")
        self.kinds = BarChart("Chunk kinds")
        self.treemap = Treemap("Largest files (area = size, colour = language)")
        self.folders = BarChart("Largest folders (bytes indexed)")
        self.skipped = BarChart("Skipped files, by reason")
        grid = QGridLayout()
        grid.addWidget(self.languages, 0, 0)
        grid.addWidget(self.kinds, 0, 1)
        grid.addWidget(self.treemap, 1, 0, 1, 2)
        grid.addWidget(self.folders, 2, 0)
        grid.addWidget(self.skipped, 2, 1)
        for row in range(3):
            grid.setRowStretch(row, 1)
        layout = QVBoxLayout(holder)
        layout.addWidget(self.heading)
        layout.addLayout(grid, 1)
        self.setWidget(holder)

    def show_repo(self, repo: RepoRecord | None) -> None:
        if repo is None:
            self._measures.drop()
            self.shape = None
            self.heading.setText("Select a repository to see its overview.")
            for chart in (self.languages, self.kinds, self.treemap, self.folders, self.skipped):
                chart.set_items([])
            return
        self.heading.setText(f"<b>{repo.name}</b> — measuring…")
        self._measures.read(lambda: measure(self.workspace, repo), self._show)

    def _show(self, shape: RepoShape) -> None:
        self.shape = shape
        repo = shape.repo
        self.heading.setText(
            f"<b>{repo.name}</b> — {plural(repo.files, 'file')} indexed ({size(shape.indexed_bytes)}), "
            f"{plural(repo.chunks, 'chunk')}, {plural(repo.skipped, 'file')} skipped")
        self.languages.set_items([(lang, n, language_color(lang)) for lang, n in shape.languages.most_common()],
                                 "no indexed files")
        self.kinds.set_items([(kind, n, kind_color(kind)) for kind, n in shape.kinds.most_common()], "no chunks")
        self.treemap.set_items([(path.rsplit("/", 1)[-1], nbytes, language_color(lang))
                                for path, nbytes, lang in shape.largest],
                               "no indexed files")
        self.folders.set_items([(folder, nbytes, QColor("#5b8bd9")) for folder, nbytes in shape.folders.most_common()],
                               "no indexed files")
        self.skipped.set_items([(reason, n, QColor("#d9822b")) for reason, n in shape.skipped.most_common()],
                               "nothing was skipped")
