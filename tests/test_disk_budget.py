"""The disk budget (issue 26): what each repository takes on disk adds up to the data folder's size, removing one
gives its space back (clone, vectors, catalog rows, caches), leftovers of interrupted work and unused model
graphs are cleaned up unless in use, and a cap refuses an ingest that would pass it, in one line, before it
stores anything. Real repositories on a real git server, real ingests, real lock-holding processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import git
import pytest

from pharos_desktop.engine.disk import OverBudget, folder_bytes, ingest_estimate, measure
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.model import graphs
from pharos_desktop.engine.model.embedder import bundled_model_path
from pharos_desktop.engine.model.export import EXPORT_LOCK
from pharos_desktop.engine.removal import RepoBusy, clean_up, remove_repository
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.settings import Settings
from pharos_desktop.engine.workspace import Workspace

from .cli_support import cli
from .git_server import GitServer
from .repo_factory import make_sample_repo

pytestmark = pytest.mark.usefixtures("hermetic_git")


def index_folders(workspace: Workspace, repo_id: str) -> set[str]:
    """The index folders on disk of the repository's collections, as Chroma's own database lists them."""
    import sqlite3

    with sqlite3.connect(workspace.vectors_dir / "chroma.sqlite3") as conn:
        listed = {row[0] for row in conn.execute(
            "SELECT s.id FROM segments s JOIN collection_metadata m ON m.collection_id = s.collection "
            "WHERE m.key = 'repo_id' AND m.str_value = ?", (repo_id,))}
    return {name for name in listed if (workspace.vectors_dir / name).is_dir()}


@pytest.fixture
def served(tmp_path):
    """Two repositories on a git server on 127.0.0.1: the sample, and the sample with one more module."""
    root = tmp_path / "served"
    root.mkdir()
    upstream = make_sample_repo(tmp_path / "upstream")
    git.Repo.clone_from(upstream, root / "one.git", bare=True)
    other = make_sample_repo(tmp_path / "upstream-two")
    (other / "extra.py").write_text("def only_in_two(value):\n    return value * 2\n", encoding="utf-8")
    repo = git.Repo(other)
    repo.index.add(["extra.py"])
    repo.index.commit("extra")
    git.Repo.clone_from(other, root / "two.git", bare=True)
    server = GitServer(root)
    yield server
    server.close()


def ingest(workspace, source):
    return Ingestor(workspace).ingest(str(source), task=Task("ingest"))


def hold_lock(path) -> subprocess.Popen:
    """Another process holding a lock file, as a running ingest or export does."""
    code = textwrap.dedent(f"""
        import sys, time
        from filelock import FileLock
        lock = FileLock({str(path)!r}); lock.acquire(); print("held", flush=True); time.sleep(600)
    """)
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_each_repository_s_disk_use_adds_up_to_the_data_folder(workspace, served, tmp_path):
    one = ingest(workspace, served.url + "/one.git")
    local = ingest(workspace, make_sample_repo(tmp_path / "local-folder"))

    usage = measure(workspace)
    assert usage.total == folder_bytes(workspace.data_folder)
    cloned, folder = usage.of(one.repo_id), usage.of(local.repo_id)
    assert cloned.checkout == folder_bytes(workspace.clones_dir / one.repo_id) > 0
    assert folder.checkout == 0, "a local folder is the user's own: it costs the data folder nothing"
    for repo in (cloned, folder):
        assert repo.vectors > 0 and repo.catalog > 0 and repo.caches > 0
    store = workspace.vectors_dir
    for repo in (cloned, folder):  # its own index folders, whole, and at most a share of Chroma's database
        own = sum(folder_bytes(store / name) for name in index_folders(workspace, repo.repo_id))
        assert own > 0 and own <= repo.vectors <= own + folder_bytes(store / "chroma.sqlite3")

    # a repository whose vectors are gone (doctor reports it) is no longer given a share of another's folders
    record = workspace.catalog.find_repo(local.repo_id)
    workspace.vectors().drop_collection(record.model, record.dim, record.repo_id)
    after = measure(workspace)
    assert after.total == folder_bytes(workspace.data_folder)
    assert after.of(local.repo_id).vectors <= folder_bytes(store / "chroma.sqlite3")
    own = sum(folder_bytes(store / name) for name in index_folders(workspace, one.repo_id))
    assert after.of(one.repo_id).vectors >= own


def test_a_repository_s_own_index_folder_counts_to_it_alone(workspace, served, tmp_path):
    """Chroma writes a collection's index folder every thousand vectors: in tests, small repositories' folders are
    tiny. One grown as a large repository's would be is counted to its repository, not shared out by chunks."""
    one = ingest(workspace, served.url + "/one.git")
    local = ingest(workspace, make_sample_repo(tmp_path / "local-folder"))
    before = measure(workspace)
    grown = workspace.vectors_dir / min(index_folders(workspace, local.repo_id)) / "grown.bin"
    grown.write_bytes(b"\0" * 5_000_000)
    after = measure(workspace)
    assert after.of(local.repo_id).vectors == before.of(local.repo_id).vectors + 5_000_000
    assert after.of(one.repo_id).vectors == before.of(one.repo_id).vectors
    assert after.total == folder_bytes(workspace.data_folder)


def test_removing_a_repository_frees_its_clone_vectors_rows_and_caches(workspace, served):
    one = ingest(workspace, served.url + "/one.git")
    two = ingest(workspace, served.url + "/two.git")
    model, dim = workspace.catalog.find_repo(one.repo_id).model, workspace.catalog.find_repo(one.repo_id).dim
    assert len(workspace.vectors().existing_collection(model, dim, one.repo_id).ids()) == one.chunks > 0
    ones, twos = index_folders(workspace, one.repo_id), index_folders(workspace, two.repo_id)
    assert ones and twos and not ones & twos, "each repository's vectors have index folders of their own"
    catalog_before = workspace.catalog.size_bytes()
    before = folder_bytes(workspace.data_folder)

    removed = remove_repository(workspace, one.repo_id)

    assert (removed.vectors, removed.chunks) == (one.chunks, one.chunks)
    assert not (workspace.clones_dir / one.repo_id).exists()
    assert workspace.vectors().existing_collection(model, dim, one.repo_id) is None
    # Its collection's index folders went with it, the other repository's stay: the vectors' bytes came back.
    assert not any((workspace.vectors_dir / name).exists() for name in ones)
    assert {path.name for path in workspace.vectors_dir.iterdir() if path.is_dir()} == twos
    assert workspace.catalog.count_chunks(one.repo_id) == 0 and workspace.catalog.find_repo(one.repo_id) is None
    assert removed.compacted and workspace.catalog.size_bytes() < catalog_before, "the catalog file shrank"
    after = folder_bytes(workspace.data_folder)
    assert removed.freed == before - after > 0
    assert measure(workspace).of(two.repo_id).total > 0 and workspace.catalog.count_chunks(two.repo_id) == two.chunks

    vectors_before = folder_bytes(workspace.vectors_dir)
    remove_repository(workspace, two.repo_id)
    assert folder_bytes(workspace.vectors_dir) < vectors_before
    assert not [path for path in workspace.vectors_dir.iterdir() if path.is_dir()], "the emptied collection's files went"
    assert not [path for path in (workspace.data_folder / "search-index").rglob("*.i8") if path.stat().st_size]


def test_a_repository_being_ingested_is_not_removed(workspace, served):
    one = ingest(workspace, served.url + "/one.git")
    holder = hold_lock(workspace.data_folder / "locks" / f"{one.repo_id}.lock")
    try:
        with pytest.raises(RepoBusy, match="is being ingested or synced now: cancel that job"):
            remove_repository(workspace, one.repo_id)
    finally:
        holder.kill()
        holder.wait()
    assert workspace.catalog.count_chunks(one.repo_id) == one.chunks


def test_stale_temporary_clones_go_but_one_in_use_stays(workspace):
    stale = workspace.clones_dir / ".aaaaaaaaaaaa.tmp-1234abcd"
    busy = workspace.clones_dir / ".bbbbbbbbbbbb.tmp-5678abcd"
    for folder in (stale, busy):
        (folder / ".git" / "objects").mkdir(parents=True)
        (folder / ".git" / "objects" / "pack").write_bytes(b"x" * 50_000)
    holder = hold_lock(workspace.data_folder / "locks" / "bbbbbbbbbbbb.lock")
    try:
        cleaned = clean_up(workspace)
    finally:
        holder.kill()
        holder.wait()
    assert not stale.exists() and busy.exists()
    assert cleaned.kept_in_use == [str(busy)] and cleaned.freed >= 50_000


def test_graphs_of_models_no_longer_used_go_unless_an_export_is_under_way(workspace, tmp_path, monkeypatch):
    cache = tmp_path / "models"
    monkeypatch.setenv("PHAROS_MODEL_CACHE", str(cache))
    current = bundled_model_path()
    ours = cache / "model-openvino-current"
    other = cache / "other-model-openvino-0123456789abcdef"
    for folder, source, fingerprint in ((ours, current, graphs.fingerprint(current)),
                                        (other, tmp_path / "other-model", "0123456789abcdef")):
        folder.mkdir(parents=True)
        (folder / graphs.INFO).write_text(json.dumps({"source": str(source), "fingerprint": fingerprint,
                                                      "runtime": graphs.OPENVINO}))
        (folder / "model-int8.bin").write_bytes(b"w" * 10_000)
    unfinished = cache / ".export-abc123"
    unfinished.mkdir()

    holder = hold_lock(cache / EXPORT_LOCK)
    try:
        while_exporting = clean_up(workspace)
    finally:
        holder.kill()
        holder.wait()
    assert unfinished.exists() and other.exists(), "nothing in the model cache goes while an export runs"
    assert str(unfinished) in while_exporting.kept_in_use

    cleaned = clean_up(workspace)
    assert not other.exists() and not unfinished.exists() and ours.exists()
    assert sorted(cleaned.removed) == sorted([str(unfinished), str(other)])


def test_a_cap_below_the_next_ingest_s_estimate_refuses_it_in_one_line(pharos_home, served):
    workspace = Workspace(pharos_home, Settings(disk_cap_mb=1))
    with pytest.raises(OverBudget) as refused:
        ingest(workspace, served.url + "/one.git")
    line = str(refused.value)
    assert "\n" not in line and line.startswith(f"not indexed: {served.url}/one.git needs about ")
    assert line.endswith("would pass its 1.0 MB cap; remove a repository (pharos-desktop repos --remove NAME) or "
                         "raise the disk cap in Settings (PHAROS_DISK_CAP_MB)")
    assert workspace.catalog.list_repos() == [] and not any(workspace.clones_dir.iterdir()), "nothing left behind"


def test_the_command_line_shows_sizes_refuses_over_the_cap_and_removes(tmp_path, served):
    home = tmp_path / "home"
    refused = cli("ingest", served.url + "/one.git", home=home, env={"PHAROS_DISK_CAP_MB": "1"})
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines()[-1].startswith(f"pharos-desktop: not indexed: {served.url}/one.git")

    assert cli("ingest", served.url + "/one.git", home=home).returncode == 0
    listed = cli("repos", home=home)
    assert listed.returncode == 0, listed.stderr
    assert "DISK" in listed.stdout and f"data folder {home.resolve()}: " in listed.stdout
    shown = json.loads(cli("repos", "--json", home=home).stdout)[0]
    assert shown["disk"]["total"] == sum(shown["disk"][part] for part in ("checkout", "vectors", "catalog", "caches"))

    removed = cli("repos", "--remove", shown["repo_id"], home=home)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.startswith(f"removed {shown['repo']}: {shown['chunks']} chunks, {shown['chunks']} vectors, ")
    assert json.loads(cli("repos", "--json", home=home).stdout) == [], "removed by the user: no emptied catalog"


def test_the_estimate_is_not_below_what_an_ingest_takes(workspace, tmp_path):
    """The cap's estimate, checked on a real ingest of a local folder (no clone) into a new data folder."""
    source = make_sample_repo(tmp_path / "source")
    before = folder_bytes(workspace.data_folder)
    summary = ingest(workspace, source)
    read = sum(record.size for record in workspace.catalog.files(summary.repo_id, indexed_only=True))
    grew = folder_bytes(workspace.data_folder) - before
    assert ingest_estimate(read) >= grew > 0
