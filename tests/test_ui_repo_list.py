"""The repository list sorts several repositories, by name and by a number column."""

from __future__ import annotations

from PySide6.QtCore import Qt

from pharos_desktop.engine.index.catalog import RepoRecord
from pharos_desktop.ui.repo_list import COLUMNS, RepoList


def _names(view: RepoList) -> list[str]:
    return [view.topLevelItem(n).text(0) for n in range(view.topLevelItemCount())]


def test_the_list_sorts_several_repositories(qtbot):
    view = RepoList()
    qtbot.addWidget(view)
    view.set_repos([RepoRecord(f"id-{name}", name, f"/src/{name}", "local", state="ready", created_at=0.0,
                               chunks=chunks)
                    for name, chunks in (("gamma", 5), ("alpha", 900), ("beta", 40))])
    assert _names(view) == ["alpha", "beta", "gamma"]
    view.sortByColumn(COLUMNS.index("Chunks"), Qt.SortOrder.AscendingOrder)
    assert _names(view) == ["gamma", "beta", "alpha"]  # 5 < 40 < 900: as numbers, not as text
