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


def _record(name: str, chunks: int) -> RepoRecord:
    return RepoRecord(f"id-{name}", name, f"/src/{name}", "local", state="ready", created_at=0.0, chunks=chunks)


def test_a_reload_keeps_unchanged_rows_and_the_selection_and_shows_what_changed(qtbot):
    view = RepoList()
    qtbot.addWidget(view)
    view.set_repos([_record("alpha", 1), _record("beta", 2), _record("gamma", 3)])
    view.select("id-beta")
    alpha = next(view.topLevelItem(n) for n in range(3) if view.topLevelItem(n).text(0) == "alpha")
    with qtbot.assertNotEmitted(view.itemChanged):  # the same records: no row is touched
        view.set_repos([_record("alpha", 1), _record("beta", 2), _record("gamma", 3)])
    chosen: list = []
    view.repo_selected.connect(chosen.append)
    view.set_repos([_record("alpha", 1), _record("beta", 2000), _record("delta", 4)])  # gamma removed
    assert _names(view) == ["alpha", "beta", "delta"]
    assert alpha in [view.topLevelItem(n) for n in range(3)]  # the unchanged row is the same item
    beta = next(view.topLevelItem(n) for n in range(3) if view.topLevelItem(n).text(0) == "beta")
    assert beta.text(COLUMNS.index("Chunks")) == "2,000"
    assert view.selected_repo_id() == "id-beta"
    assert [r.chunks for r in chosen] == [2000]  # whoever shows the selected repository gets its new counts
    view.set_repos([_record("alpha", 1)])
    assert _names(view) == ["alpha"] and view.selected_repo_id() is None
    assert chosen[-1] is None


def test_a_long_list_is_filled_a_slice_a_turn_and_a_newer_list_mid_fill_wins(qtbot):
    from pharos_desktop.ui.repo_list import ROWS_AT_ONCE

    view = RepoList()
    qtbot.addWidget(view)
    count = 2 * ROWS_AT_ONCE + 10
    many = [_record(f"repo-{n:04d}", n) for n in reversed(range(count))]
    view.set_repos(many)
    assert view.topLevelItemCount() == ROWS_AT_ONCE  # the rest in later turns of the event loop
    view.select(many[0].repo_id)  # the first record's row is in the first slice, as the window selects it
    assert view.selected_repo_id() == many[0].repo_id
    qtbot.waitUntil(lambda: view.topLevelItemCount() == count, timeout=10_000)
    qtbot.waitUntil(lambda: view.isSortingEnabled(), timeout=10_000)
    assert _names(view) == sorted(r.name for r in many)  # sorted once the last row is in
    assert view.selected_repo_id() == many[0].repo_id

    view.set_repos(many[: ROWS_AT_ONCE + 5] + [_record("late", 1)])  # fewer, and a new one, before...
    view.set_repos(many[:ROWS_AT_ONCE + 5] + [_record("late", 1)] + [_record(f"more-{n}", n) for n in range(300)])
    qtbot.waitUntil(lambda: view.topLevelItemCount() == ROWS_AT_ONCE + 306 and view.isSortingEnabled(),
                    timeout=10_000)
    qtbot.wait(100)  # ...an older fill, had it gone on, would add rows here
    names = _names(view)
    assert names == sorted(names) and len(names) == len(set(names)) == ROWS_AT_ONCE + 306
    assert "late" in names and "more-299" in names and "repo-0000" not in names
