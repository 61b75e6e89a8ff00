"""A vector store deleted or damaged under a finished repository is noticed: doctor names the repository
and the ingest that mends it, search says what it leaves out instead of hiding it, and the next ingest
embeds again exactly the files whose chunks lost their vectors. An unchanged ingest into a store that is
still the one it left opens no Chroma. Real sample repository, real Chroma on disk, real processes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from pharos_desktop.engine.doctor import diagnose
from pharos_desktop.engine.local_index import LocalIndex

from .cli_support import cli
from .repo_factory import make_sample_repo
from .test_local_index import DIM, REPO

QUESTION = "redact secrets before logging"

UNCHANGED_INGEST = """
import json, sys
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.workspace import Workspace
summary = Ingestor(Workspace()).ingest(sys.argv[1], task=Task("ingest"))
print(json.dumps({"embedded": summary.embedded, "chromadb": "chromadb" in sys.modules}))
"""


def segment_folders(home: Path) -> list[Path]:
    """The index folders Chroma keeps beside its database, one per collection."""
    return [path for path in (home / "vectors").iterdir() if path.is_dir()]


def vector_problems(home: Path) -> list[str]:
    done = cli("doctor", "--no-model", home=home)
    assert "Traceback" not in done.stderr, done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith("problem: ") and "vector store" in line]


def test_a_deleted_vector_store_is_reported_and_embedded_again(tmp_path, pharos_home):
    sample = make_sample_repo(tmp_path / "sample")
    first = cli("ingest", str(sample), "--json", home=pharos_home)
    assert first.returncode == 0, first.stderr
    chunks = json.loads(first.stdout)["chunks"]
    files = json.loads(first.stdout)["files"]
    unchanged = subprocess.run([sys.executable, "-c", UNCHANGED_INGEST, str(sample)], capture_output=True, text=True,
                               cwd=Path(__file__).parents[1], timeout=300)
    assert json.loads(unchanged.stdout) == {"embedded": 0, "chromadb": False}, unchanged.stderr
    assert vector_problems(pharos_home) == []

    (pharos_home / "vectors" / "chroma.sqlite3").unlink()

    assert vector_problems(pharos_home) == [
        f"problem: repository sample: the vector store lacks the vectors of {chunks} of {chunks} chunks, so semantic "
        f"search leaves them out: run pharos-desktop ingest {sample.resolve()}"]
    blind = cli("search", QUESTION, "--mode", "vector", home=pharos_home)
    assert blind.returncode == 0 and "redact_secrets" not in blind.stdout
    assert (f"warning: semantic search left out {chunks} chunks whose vectors the vector store lacks: run "
            "pharos-desktop doctor to see which repositories to ingest again") in blind.stderr.splitlines()

    again = cli("ingest", str(sample), "--json", home=pharos_home)
    assert again.returncode == 0, again.stderr
    assert (f"warning: the vector store was missing {chunks} of {chunks} chunks ({files} files): "
            "embedding them again") in again.stderr.splitlines()
    assert json.loads(again.stdout)["embedded"] == chunks
    found = cli("search", QUESTION, "--mode", "vector", home=pharos_home)
    assert found.returncode == 0 and "redact_secrets" in found.stdout and "warning" not in found.stderr, found.stderr
    assert vector_problems(pharos_home) == []

    # Its index folder deleted: Chroma makes it again from its log, which still holds this small store whole.
    for folder in segment_folders(pharos_home):
        shutil.rmtree(folder)
    third = cli("ingest", str(sample), "--json", home=pharos_home)
    assert third.returncode == 0 and "vector store" not in third.stderr, third.stderr
    assert json.loads(third.stdout)["embedded"] == 0
    assert vector_problems(pharos_home) == []


STORE_MANY = """
from pharos_desktop.engine.local_index import LocalIndex
from pharos_desktop.engine.workspace import Workspace
from tests.test_local_index import REPO, add_repo, finished
workspace = Workspace()
add_repo(workspace)
LocalIndex(workspace, REPO).store([finished(f"m{n:02d}.py", 50) for n in range(30)])
workspace.catalog.set_repo_state(REPO, "ready", vectors_stamp=workspace.vector_store_stamp(REPO))  # as finish does
"""


def test_an_index_folder_lost_beyond_chromas_log_is_found_by_doctor_search_and_ingest(workspace, pharos_home):
    # 1,500 vectors: Chroma writes its index folder and empties its log of what the folder holds.
    child = subprocess.run([sys.executable, "-c", STORE_MANY], cwd=Path(__file__).parents[1], capture_output=True,
                           text=True, timeout=300)
    assert child.returncode == 0, child.stderr
    stored = workspace.catalog.chunk_ids(REPO)
    assert len(stored) == 1500
    for folder in segment_folders(pharos_home):
        shutil.rmtree(folder)

    # Chroma still lists every chunk; only its index lacks their vectors.
    model = workspace.settings.model
    assert workspace.vectors().existing_collection(model, DIM, REPO).ids() == stored
    gap = [p for p in diagnose(workspace, load_model=False)["problems"] if "vector store" in p]
    assert len(gap) == 1 and gap[0].startswith("repository demo: the vector store lacks the vectors of ")
    lacking = int(gap[0].split("lacks the vectors of ")[1].split()[0])
    assert 0 < lacking < 1500  # what the log still held is whole again
    snapshot = workspace.search_vectors(model, DIM)  # it serves what the store still has, and says what it lacks
    assert 0 < snapshot.missing <= lacking and snapshot.count() == 1500 - snapshot.missing

    found = LocalIndex(workspace, REPO).reconcile()
    assert (found.resumed, found.stored, found.lacking) == (False, 1500, lacking) and found.redo > 0
    # The files whose chunks lost their vectors leave the catalog: the ingest's plan reads them again.
    assert len(workspace.catalog.file_states(REPO)) == 30 - found.redo
