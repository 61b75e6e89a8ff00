"""ingest_repository once the user allows it: the ingest runs in a child process (as the window runs it), its progress
reaches the client as MCP progress notifications, the new repository is served at once, and cancelling the call
stops the child for real (the job cancelled, the repository resumable)."""

from __future__ import annotations

import json
import time

import anyio
import pytest

from pharos_desktop.mcp.ingest import SHARES
from pharos_desktop.tools.sample_repos import make_package_repo

from .cli_support import query
from .mcp_support import ingest_children, stdio_client, text
from .repo_factory import make_sample_repo

pytestmark = pytest.mark.slow


def allow_ingest(home) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps({"mcp_allow_ingest": True}))


def test_an_allowed_ingest_reports_progress_and_is_searchable_at_once(tmp_path):
    home = tmp_path / "home"
    allow_ingest(home)
    sample = make_sample_repo(tmp_path / "sample")
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async def session():
        async with stdio_client(home) as client:
            done = await client.call_tool("ingest_repository", {"source": str(sample)}, progress_callback=on_progress)
            assert not done.is_error, text(done)
            summary = done.structured_content
            assert summary["repo"] == "sample" and summary["files"] == 13 and summary["chunks"] > 0
            assert summary["skipped_reasons"]["secret"] == 5
            assert text(done).startswith(f"sample @ {summary['commit'][:12]}: 13 files, {summary['chunks']} chunks")
            found = await client.call_tool("search_code", {"query": "mask passwords before a line is logged"})
            assert found.structured_content["hits"][0]["symbol"] == "redact_secrets"

    anyio.run(session)
    values = [value for value, _total, _message in progress]
    assert len(values) >= 3 and values == sorted(set(values)), values  # MCP progress only ever rises
    assert all(total == 100 for _value, total, _message in progress) and values[-1] == 100
    # Reports are sampled (every REPORT_EVERY s), so the stages this small repository passes quickly may never be
    # seen (on a loaded machine only the store was: the full suite beside other work); what must hold is that the
    # lines name the ingest's stages and end with the store.
    stages = [message.split()[0] for _v, _t, message in progress if message.split()[0] in SHARES]
    assert stages and stages[-1] == "store", progress


def test_cancelling_the_call_stops_the_ingest_child(tmp_path):
    home = tmp_path / "home"
    allow_ingest(home)
    repo = make_package_repo(tmp_path / "httpx-repo", "httpx")
    working = anyio.Event()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        if message and message.startswith(("parse", "embed")) and ingest_children(str(repo)):
            working.set()

    async def session():
        async with stdio_client(home) as client:
            async with anyio.create_task_group() as calls:
                calls.start_soon(lambda: client.call_tool("ingest_repository", {"source": str(repo)},
                                                          progress_callback=on_progress))
                with anyio.fail_after(300):
                    await working.wait()
                calls.cancel_scope.cancel()  # the client sends notifications/cancelled for the call
            deadline = time.monotonic() + 60
            while ingest_children(str(repo)):
                assert time.monotonic() < deadline, "the ingest child outlived the cancelled call"
                await anyio.sleep(0.2)
            assert query(home, "SELECT state FROM jobs") == [("cancelled",)]
            listed = await client.call_tool("list_repositories", {})  # the server goes on answering
            (entry,) = listed.structured_content["repositories"]
            assert entry["name"] == "httpx-repo" and entry["state"] == "interrupted"

    anyio.run(session)
