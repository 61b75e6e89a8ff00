"""Helpers for the sync tests: a local index written straight into a real catalog, a syncer against the
fake cloud, and a field-by-field comparison of the server's state with the local index. The `cloud` and
`index` fixtures are in tests/conftest.py."""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import quote

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.index.catalog import Catalog, ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.run.events import SyncSummary
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.sync import Syncer
from pharos_desktop.tools.fake_cloud import CloudServer

TOKEN = "test-token-1234567890"
HOSTED = RepoRecord("0123456789abcdef", "demo", "https://github.com/acme/demo", "remote",
                    web_base="https://github.com/acme/demo", branch="main", commit="a" * 40, state="ready")
LOCAL = RepoRecord("fedcba9876543210", "notes", "/home/someone/notes", "local", commit="b" * 40, state="ready")
KINDS = ("imports", "function", "class", "method", "module")


def chunk_records(repo_id: str, path: str, language: str, content_hash: str, count: int) -> list[ChunkRecord]:
    chunks = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        symbol = "<imports>" if kind == "imports" else f"sym_{n}"
        chunks.append(ChunkRecord(
            hashlib.sha1(f"{repo_id}{path}{content_hash}{n}".encode()).hexdigest()[:32], repo_id, path, n, kind,
            symbol, language, 1 + 10 * n, 9 + 10 * n, f"def {symbol}():", f"[{language}] def {symbol}(): {content_hash}",
            ["os", f"dep_{n}"], f"def {symbol}():\n    return {n}  # {content_hash}\n", f"text {n}"))
    return chunks


def put_file(catalog: Catalog, repo_id: str, path: str, version: str = "v1", chunks: int = 3,
             language: str = "python", skip_reason: str | None = None) -> None:
    content_hash = hashlib.sha1(f"{path}{version}".encode()).hexdigest()
    record = FileRecord(path, language, 100, 1, content_hash, skip_reason, 0 if skip_reason else chunks)
    catalog.replace_file(repo_id, record, [] if skip_reason else chunk_records(repo_id, path, language,
                                                                              content_hash, chunks))


def build_index(catalog: Catalog) -> None:
    """A GitHub-hosted repo (14 files) and a local folder (6 files), plus skipped files that must stay local."""
    catalog.upsert_repo(HOSTED)
    catalog.upsert_repo(LOCAL)
    for n in range(10):
        put_file(catalog, HOSTED.repo_id, f"src/pkg/mod_{n:02d}.py", chunks=2 + n % 3)
    put_file(catalog, HOSTED.repo_id, "README.md", language="markdown", chunks=2)
    put_file(catalog, HOSTED.repo_id, "web/app file.ts", language="typescript", chunks=4)
    put_file(catalog, HOSTED.repo_id, "src/é[1].py", chunks=1)
    put_file(catalog, HOSTED.repo_id, "setup.py", chunks=1)
    put_file(catalog, HOSTED.repo_id, ".env", language=None, skip_reason="secret")
    for n in range(6):
        put_file(catalog, LOCAL.repo_id, f"notes/n{n}.go", language="go", chunks=2)
    put_file(catalog, LOCAL.repo_id, "big.bin", language=None, skip_reason="binary")


def make_syncer(workspace, server: CloudServer, token: str = TOKEN, **kwargs) -> Syncer:
    kwargs.setdefault("backoff_base", 0.01)
    kwargs.setdefault("retries", 4)
    return Syncer(workspace, api_url=server.url if isinstance(server, CloudServer) else server, token=token, **kwargs)


def run_sync(syncer: Syncer, repo: str | None = None, events: list | None = None,
             cancel: CancelToken | None = None) -> SyncSummary:
    sink = events if events is not None else []
    return asyncio.run(syncer.sync(repo, task=Task("sync", sink.append, cancel or CancelToken(), "job1")))


def expected_url(repo: RepoRecord, path: str) -> str:
    if repo.web_base:
        return f"{repo.web_base}/blob/{repo.branch}/{quote(path)}"
    return f"https://pharos.local/repo/{repo.repo_id}/{quote(path)}"


def assert_cloud_matches(server: CloudServer, catalog: Catalog, send_source: bool = False) -> None:
    """Server state == local index: one resource per indexed file, every field and chunk as expected, nothing else."""
    with server.lock:
        resources = {row["source"]: row for row in server.resources.values()}
        assert len(resources) == len(server.resources), "two resources share a URL"
        chunks = {rid: list(rows) for rid, rows in server.chunks.items()}
    expected = 0
    for repo in catalog.list_repos():
        for record in catalog.files(repo.repo_id, indexed_only=True):
            expected += 1
            url = expected_url(repo, record.path)
            row = resources.get(url)
            assert row is not None, f"{url} missing on the server"
            language = record.language
            assert row["title"] == record.path.rsplit("/", 1)[-1]
            assert row["description"].endswith(f" source — {record.path}")
            assert (row["identifier"], row["coverage"], row["type"]) == (record.path, repo.commit, "code_file")
            assert (row["format"], row["language"]) == (f"text/{language}", language)
            assert row["subject"][0].lower() == language and row["subject"] == [s.title() for s in row["subject"]]
            repo_url = repo.web_base or f"https://pharos.local/repo/{repo.repo_id}"
            assert row["relation"] == [f"language:{language}", f"git:commit:{repo.commit}", f"git:url:{repo_url}"]
            local_chunks = catalog.chunks_for_file(repo.repo_id, record.path)
            remote_chunks = chunks[row["id"]]
            assert len(remote_chunks) == len(local_chunks), f"{record.path}: chunk count"
            for local, remote in zip(local_chunks, remote_chunks):
                meta = remote["chunk_metadata"]
                assert remote["content"] == (local.code if send_source else local.summary)
                assert remote["chunk_index"] == local.ordinal
                assert (meta["symbol_name"], meta["start_line"], meta["end_line"]) == (
                    local.symbol, local.start_line, local.end_line)
                assert meta["semantic_summary"] == local.summary and meta["dependencies"] == local.deps
                assert meta["language"] == local.language
                assert meta["ast_node_type"] in ("function", "method", "class", "block", "import")
                if repo.web_base:
                    assert meta["github_uri"] == f"{url}#L{local.start_line}-L{local.end_line}"
                    assert meta["branch_reference"] == repo.branch
                else:
                    assert meta["github_uri"] is None
    assert len(resources) == expected, f"{len(resources)} resources on the server, {expected} files indexed"
