"""A damaged catalog (catalog.sqlite): every command says so in one line that names the file and
`pharos-desktop doctor --repair`, never "unexpected error"; the repair keeps the damaged file, copies every
row it can still read into a fresh catalog and names the ingests that restore the rest. An emptied catalog
does not pass for a new install. Real catalogs damaged for real, real `python -m pharos_desktop` processes."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest

from pharos_desktop.engine.index.catalog import Catalog, ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.jobs import JobsTable
from pharos_desktop.engine.source import parse_source
from pharos_desktop.engine.sync.tables import SyncTables
from pharos_desktop.tools.sample_repos import init_repo

from .cli_support import cli
from .test_cli_errors import assert_one_plain_line

FILES, CHUNKS = 40, 4  # per repository: some hundred pages of rows
CHECKOUT_URL = "https://git.example.com/acme/widgets.git"
REPAIR = "pharos-desktop doctor --repair"


def make_catalog(home: Path, sources: list[Path]) -> list[str]:
    """Repositories of local folders as an ingest leaves them, with their jobs and a sync; their ids."""
    home.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(home / "catalog.sqlite")
    jobs, sync = JobsTable(catalog), SyncTables(catalog, "https://cloud.example")
    ids = []
    for n, folder in enumerate(sources):
        folder.mkdir(parents=True, exist_ok=True)
        spec = parse_source(str(folder))
        catalog.upsert_repo(RepoRecord(spec.repo_id, spec.name, spec.display, "local", state="ready"))
        catalog.replace_files(spec.repo_id, [file_rows(spec.repo_id, f) for f in range(FILES)])
        jobs.start(f"job{n}", "ingest", spec.repo_id, {"source": str(folder), "branch": None})
        jobs.finish(f"job{n}", "done")
        sync.begin(spec.repo_id, "pkg/module_00.py", f"https://cloud.example/r/{n}", "fp")
        sync.record_repo(spec.repo_id, "ok", "abc")
        ids.append(spec.repo_id)
    catalog.close()  # the last connection: the WAL is written back into the file
    return ids


def file_rows(repo_id: str, f: int) -> tuple[FileRecord, list[ChunkRecord]]:
    path = f"pkg/module_{f:02d}.py"
    code = f"def handler_{f}(request):\n" + "    widget = request.widget.refresh()\n" * 12
    chunks = [ChunkRecord(f"{repo_id}-{f}-{c}", repo_id, path, c, "function", f"handler_{f}_{c}", "python",
                          c * 20 + 1, c * 20 + 14, f"def handler_{f}_{c}(request)",
                          f"handler_{f}_{c} refreshes a widget", [], code, f"handler {f} {c} widget {code}")
              for c in range(CHUNKS)]
    return FileRecord(path, "python", 500 + f, 1, f"blob{f}", None, CHUNKS), chunks


def add_checkout(home: Path, url: str = CHECKOUT_URL) -> str:
    """A clone as ingest leaves it in clones/<repo_id>: a git repository whose origin is the URL."""
    repo_id = parse_source(url).repo_id
    repo = init_repo(home / "clones" / repo_id)
    repo.create_remote("origin", url)
    repo.close()
    return repo_id


def damage_pages(path: Path, tables: tuple[str, ...]) -> None:
    """Garbage over the middle half of each table's leaf pages, as a bad disk leaves them."""
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        leaves = {table: [row[0] for row in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,))]
            for table in tables}
    conn.close()
    with open(path, "r+b") as handle:
        for pages in leaves.values():
            for page in pages[len(pages) // 4: len(pages) * 3 // 4]:
                handle.seek((page - 1) * size)
                handle.write(bytes((n * 7 + 3) % 256 for n in range(size)))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_line(out: str, table: str) -> tuple[int, int | None]:
    """(kept, lost) from the repair's line for a table."""
    match = re.search(rf"^  {table} +([\d,]+) kept, ([\d,]+|an unknown number) lost$", out, re.MULTILINE)
    assert match, out
    lost = match.group(2)
    return int(match.group(1).replace(",", "")), None if lost == "an unknown number" else int(lost.replace(",", ""))


def assert_doctor_reports(home: Path, *words: str) -> None:
    done = cli("doctor", "--no-model", home=home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stdout + done.stderr
    problems = [line for line in done.stdout.splitlines() if line.startswith("problem: ")]
    assert any(all(word in line for word in words) for line in problems), done.stdout


def test_damaged_pages_name_the_file_and_the_repair_which_salvages_every_readable_row(tmp_path):
    home = tmp_path / "home"
    ids = make_catalog(home, [tmp_path / "src" / f"project{n}" for n in range(3)])
    catalog = home / "catalog.sqlite"
    damage_pages(catalog, ("files", "chunks"))
    damaged = digest(catalog)

    line = (str(catalog), "is damaged (database disk image is malformed)", REPAIR)
    assert_one_plain_line(cli("repos", home=home), 1, *line)
    # A search reads only the rows it returns: asked for every chunk, it reads the damaged pages too.
    every = str(3 * FILES * CHUNKS)
    assert_one_plain_line(cli("search", "widget", "--mode", "keyword", "--limit", every, home=home), 1, *line)
    assert_doctor_reports(home, f"the catalog {catalog} is damaged", REPAIR)

    repaired = cli("doctor", "--repair", home=home)
    out = repaired.stdout
    assert repaired.returncode == 0 and not repaired.stderr, repaired.stderr
    assert f"the catalog {catalog} was damaged (" in out
    aside = Path(re.search(r"^the damaged file is kept as (.+)$", out, re.MULTILINE).group(1))
    assert aside.parent == home and digest(aside) == damaged  # moved aside, never changed or deleted
    assert table_line(out, "repos") == (3, 0)
    assert table_line(out, "jobs") == (3, 0)
    assert table_line(out, "sync_files") == (3, 0) and table_line(out, "sync_repos") == (3, 0)
    files_kept, files_lost = table_line(out, "files")
    chunks_kept, chunks_lost = table_line(out, "chunks")
    assert files_kept + files_lost == 3 * FILES and 0 < files_lost < 3 * FILES
    assert chunks_kept + chunks_lost == 3 * FILES * CHUNKS and chunks_kept == files_kept * CHUNKS
    assert "the keyword index was built again" in out
    # Each repository that lost files is named with the ingest that reads them again.
    with sqlite3.connect(catalog) as conn:
        left = dict(conn.execute("SELECT repo_id, count(*) FROM chunks GROUP BY repo_id").fetchall())
    conn.close()
    for repo_id, folder in zip(ids, [tmp_path / "src" / f"project{n}" for n in range(3)]):
        missing = FILES - left.get(repo_id, 0) // CHUNKS
        if missing:
            assert f"  pharos-desktop ingest {folder.resolve()}  ({missing} files to read again)" in out, out

    listed = cli("repos", "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    states = {repo["repo_id"]: repo["state"] for repo in json.loads(listed.stdout)}
    assert states == {repo_id: "ready" if left.get(repo_id, 0) == FILES * CHUNKS else "interrupted"
                      for repo_id in ids}  # a repository that lost files is to be ingested again
    found = cli("search", "widget", "--mode", "keyword", "--limit", "5", home=home)
    assert found.returncode == 0 and "handler_" in found.stdout, found.stderr  # the keyword index is whole again
    healthy = cli("doctor", "--repair", home=home)
    assert healthy.stdout.splitlines()[0] == f"the catalog {catalog} is healthy: nothing to repair"


def test_a_catalog_that_is_not_a_database_is_kept_and_its_checkouts_named(tmp_path):
    home = tmp_path / "home"
    make_catalog(home, [tmp_path / "src" / "project0"])
    add_checkout(home)
    catalog = home / "catalog.sqlite"
    catalog.write_bytes(b"\x00garbage\xff" * 2000)

    line = (str(catalog), "is damaged (file is not a database)", REPAIR)
    for command in (["repos"], ["search", "widget"], ["doctor", "--no-model"], ["ingest", str(tmp_path)]):
        assert_one_plain_line(cli(*command, home=home), 1, *line)

    repaired = cli("doctor", "--repair", home=home)
    assert repaired.returncode == 0, repaired.stderr
    assert "nothing could be read from it: the new catalog is empty" in repaired.stdout
    assert f"  pharos-desktop ingest {parse_source(CHECKOUT_URL).location}  (a checkout)" in repaired.stdout
    aside = next(home.glob("catalog.damaged-*.sqlite"))
    assert aside.read_bytes() == b"\x00garbage\xff" * 2000
    # The fresh catalog lists nothing, and says why that is not a new install.
    assert_one_plain_line(cli("repos", home=home), 1, "holds no repositories, although the data folder holds "
                                                      "1 checkout", REPAIR)


def test_a_missing_table_is_damage_not_a_new_empty_table(tmp_path):
    home = tmp_path / "home"
    ids = make_catalog(home, [tmp_path / "src" / "project0"])
    catalog = home / "catalog.sqlite"
    with sqlite3.connect(catalog) as conn:
        conn.execute("DROP TABLE files")
    conn.close()

    assert_one_plain_line(cli("repos", home=home), 1, str(catalog), "is damaged (missing table: files)", REPAIR)
    repaired = cli("doctor", "--repair", home=home)
    assert repaired.returncode == 0, repaired.stderr
    assert table_line(repaired.stdout, "repos") == (1, 0)
    assert table_line(repaired.stdout, "files") == (0, None)
    assert table_line(repaired.stdout, "chunks") == (0, FILES * CHUNKS)  # no file row: read again, all of them
    folder = (tmp_path / "src" / "project0").resolve()
    assert f"  pharos-desktop ingest {folder}  ({FILES} files to read again)" in repaired.stdout
    listed = cli("repos", home=home)
    assert listed.returncode == 0 and ids[0] in listed.stdout, listed.stderr


@pytest.mark.parametrize("how", ["truncated to 0 bytes", "tables emptied"])
def test_an_emptied_catalog_does_not_pass_for_a_new_install(tmp_path, how):
    home = tmp_path / "home"
    make_catalog(home, [tmp_path / "src" / "project0"])
    add_checkout(home)
    catalog = home / "catalog.sqlite"
    if how == "truncated to 0 bytes":
        catalog.write_bytes(b"")
    else:
        emptied = Catalog(catalog)
        with emptied.writing() as conn:
            for table in ("chunks", "files", "repos", "jobs"):
                conn.execute(f"DELETE FROM {table}")
        emptied.close()

    line = (f"the catalog {catalog} holds no repositories, although the data folder holds 1 checkout", REPAIR)
    assert_one_plain_line(cli("repos", home=home), 1, *line)
    assert_one_plain_line(cli("search", "widget", home=home), 1, *line)
    assert_doctor_reports(home, *line)

    before = digest(catalog)
    repaired = cli("doctor", "--repair", home=home)
    assert repaired.returncode == 0, repaired.stderr
    assert repaired.stdout.splitlines() == [
        f"the catalog {catalog} is healthy: nothing to repair",
        "to restore what the catalog lacks, ingest again:",
        f"  pharos-desktop ingest {parse_source(CHECKOUT_URL).location}  (a checkout)"]
    assert digest(catalog) == before and not list(home.glob("catalog.damaged-*"))


def test_the_window_names_a_damaged_or_emptied_catalog(qtbot, tmp_path, pharos_home, monkeypatch):
    from .ui_support import close_window, open_window

    make_catalog(pharos_home, [tmp_path / "src" / f"project{n}" for n in range(3)])
    damage_pages(pharos_home / "catalog.sqlite", ("files",))
    window = open_window(qtbot, tmp_path)
    try:
        qtbot.waitUntil(lambda: "damaged" in window.statusBar().currentMessage(), timeout=10_000)
        assert window.statusBar().currentMessage() == (
            f"Cannot list the repositories: the catalog {pharos_home / 'catalog.sqlite'} is damaged "
            f"(database disk image is malformed): run {REPAIR}")
    finally:
        close_window(qtbot, window)

    emptied = tmp_path / "emptied-home"
    make_catalog(emptied, [tmp_path / "src" / "project0"])
    (emptied / "catalog.sqlite").write_bytes(b"")
    add_checkout(emptied)
    monkeypatch.setenv("PHAROS_HOME", str(emptied))
    window = open_window(qtbot, tmp_path)
    try:
        qtbot.waitUntil(lambda: "holds no repositories" in window.statusBar().currentMessage(), timeout=10_000)
        assert window.statusBar().currentMessage() == (
            f"The catalog {emptied / 'catalog.sqlite'} holds no repositories, although the data folder "
            f"holds 1 checkout: run {REPAIR}")
    finally:
        close_window(qtbot, window)
