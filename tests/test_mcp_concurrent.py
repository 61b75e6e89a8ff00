"""An ingest in another process while the server answers: a real `pharos-desktop ingest` child re-indexes the
repository; while it writes, the server answers from the index as it was before (never a mix of old and new files,
nor vectors from the store being written), and once it ends the server serves the new index whole, without a
restart and without reading the vector store itself (the ingest's search snapshot is used)."""

from __future__ import annotations

import os

import anyio
import pytest

from pharos_desktop.engine.run.repo_lock import busy_repositories
from pharos_desktop.tools.sample_repos import add_commit, make_package_repo

from .cli_support import cli, query, start_cli
from .mcp_support import server_processes, stdio_client, text

pytestmark = pytest.mark.slow

BEFORE = ('def gather_lighthouse_beacons(coast):\n    """Collect the lighthouse beacons along the coast."""\n'
          '    return coast\n')
AFTER = 'def count_harbour_seagulls(harbour):\n    """Count the seagulls resting in the harbour."""\n    return harbour\n'


def symbols(result) -> list[str]:
    return [hit["symbol"] for hit in result.structured_content["hits"]]


def test_the_server_serves_the_old_index_while_an_ingest_writes_then_the_new_one(tmp_path):
    home = tmp_path / "home"
    repo = make_package_repo(tmp_path / "coast", "httpx", limit=10)
    add_commit(repo, {"aaa_marker.py": BEFORE}, "the first version")  # first in the scan order: stored early
    assert cli("ingest", str(repo), home=home, timeout=900).returncode == 0

    async def session():
        async with stdio_client(home) as client:
            before = await client.call_tool("search_code", {"query": "lighthouse beacons along the coast"})
            assert symbols(before)[0] == "gather_lighthouse_beacons"
            # every file changes, so the ingest rewrites them all, the marker's new version among the first; and
            # every function's and class's code, so that each is embedded again (a chunk whose text is unchanged
            # keeps its vector, and an ingest of only those would end before the server could be asked)
            changes = {"aaa_marker.py": AFTER}
            for path in sorted(repo.rglob("*.py")):
                relative = str(path.relative_to(repo))
                if relative != "aaa_marker.py":
                    changes[relative] = path.read_text().replace("def ", "def  ").replace("class ", "class  ")
            commit = add_commit(repo, changes, "the second version")
            # small batches: the files are stored a few at a time, so the ingest writes for a while
            child = start_cli("ingest", str(repo), home=home,
                              extra={"PHAROS_BATCH_SIZE": "8", "PHAROS_MODEL_CACHE": os.environ["PHAROS_MODEL_CACHE"]})
            seen_while_writing = 0
            try:
                while child.poll() is None:
                    written = query(home, "SELECT COUNT(*) FROM chunks WHERE symbol = 'count_harbour_seagulls'")
                    if written and written[0][0] and busy_repositories(home):
                        old = await client.call_tool("search_code", {"query": "lighthouse beacons along the coast"})
                        new = await client.call_tool("search_code", {"query": "seagulls resting in the harbour"})
                        marker = await client.call_tool("read_symbol", {"repository": "coast", "path": "aaa_marker.py",
                                                                        "symbol": "gather_lighthouse_beacons"})
                        if not busy_repositories(home):
                            break  # the ingest finished meanwhile: these answers may already be the new index's
                        assert symbols(old)[0] == "gather_lighthouse_beacons"
                        assert old.structured_content["hits"][0]["vector_rank"] == 1  # its vectors, read before
                        assert "count_harbour_seagulls" not in symbols(new)
                        assert "is being ingested or synced now" in text(old)
                        assert "Collect the lighthouse beacons" in text(marker)  # from the index, not the new file
                        seen_while_writing += 1
                    await anyio.sleep(0.05)
                assert child.wait(timeout=600) == 0, child.stderr.read()
            finally:
                if child.poll() is None:
                    child.kill()
            assert seen_while_writing, "the ingest ended before the server could be asked while it wrote"

            after = await client.call_tool("search_code", {"query": "seagulls resting in the harbour"})
            assert symbols(after)[0] == "count_harbour_seagulls" and after.structured_content["notes"] == []
            assert after.structured_content["hits"][0]["vector_rank"] == 1
            gone = await client.call_tool("search_code", {"query": "lighthouse beacons along the coast"})
            assert "gather_lighthouse_beacons" not in symbols(gone)
            (entry,) = (await client.call_tool("list_repositories", {})).structured_content["repositories"]
            assert entry["commit"] == commit and entry["index"] == "current" and entry["state"] == "ready"
            (server,) = server_processes()
            assert not [m.path for m in server.memory_maps() if "chromadb" in m.path or "torch" in m.path]

    anyio.run(session)
