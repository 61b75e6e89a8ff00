"""The catalog (SQLite + FTS5 keyword index), on a real database file."""

from __future__ import annotations

import pytest

from pharos_desktop.engine.index.catalog import Catalog, ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.errors import UsageError
from pharos_desktop.engine.index.keyword_index import match_expression
from pharos_desktop.engine.index.words import query_terms


def fts_expression(query: str) -> str:
    return match_expression(query_terms(query))


def chunk(repo_id: str, path: str, n: int, symbol: str, summary: str, kind: str = "function") -> ChunkRecord:
    return ChunkRecord(f"{repo_id}-{path}-{n}", repo_id, path, n, kind, symbol, "python", n * 10 + 1, n * 10 + 9,
                       f"def {symbol}():", summary, ["dep"], f"def {symbol}():\n    pass\n", summary + "\n\ncode")


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    cat.upsert_repo(RepoRecord("r1", "alpha", "https://github.com/o/alpha", "remote", "https://github.com/o/alpha"))
    cat.upsert_repo(RepoRecord("r2", "beta", "/src/beta", "local"))
    cat.replace_file("r1", FileRecord("app/auth.py", "python", 100, 1, "h1"), [
        chunk("r1", "app/auth.py", 0, "authenticate_user", "[python] def authenticate_user(): check password"),
        chunk("r1", "app/auth.py", 1, "Session.logout", "[python] def logout(): end the session", "method")])
    cat.replace_file("r2", FileRecord("lib/http_client.py", "python", 50, 1, "h2"), [
        chunk("r2", "lib/http_client.py", 0, "HttpClient", "[python] class HttpClient: sends requests", "class")])
    cat.record_skipped("r1", [FileRecord(".env", None, 10, 1, "", "secret")])
    yield cat
    cat.close()


def test_counts_languages_and_skips(catalog):
    alpha = catalog.get_repo("alpha")
    assert (alpha.files, alpha.chunks, alpha.skipped) == (1, 2, 1)
    assert alpha.languages == {"python": 1}
    assert catalog.skip_reasons("r1") == {"secret": 1}
    assert [r.name for r in catalog.list_repos()] == ["alpha", "beta"]


def keyword_ids(catalog: Catalog, match: str, limit: int, repo_ids: list[str] | None = None) -> list[str]:
    return [chunk_id for chunk_id, _ in catalog.keyword_scores(match, limit, repo_ids)]


def test_replace_file_swaps_chunks_and_fts(catalog):
    assert keyword_ids(catalog, fts_expression("logout"), 10) == ["r1-app/auth.py-1"]
    catalog.replace_file("r1", FileRecord("app/auth.py", "python", 120, 2, "h3"),
                         [chunk("r1", "app/auth.py", 0, "login", "[python] def login(): start a session")])
    assert keyword_ids(catalog, fts_expression("logout"), 10) == []
    assert keyword_ids(catalog, fts_expression("login"), 10) == ["r1-app/auth.py-0"]
    assert catalog.get_repo("r1").chunks == 1


def test_keyword_search_splits_identifiers_and_filters_repos(catalog):
    assert keyword_ids(catalog, fts_expression("http client"), 10) == ["r2-lib/http_client.py-0"]
    assert keyword_ids(catalog, fts_expression("http client"), 10, ["r1"]) == []
    assert keyword_ids(catalog, fts_expression("authenticate user"), 10)[0] == "r1-app/auth.py-0"
    assert keyword_ids(catalog, '"unbalanced', 10) == []  # bad FTS syntax is no crash


def test_delete_files_and_repo(catalog):
    catalog.delete_files("r1", ["app/auth.py"])
    assert catalog.count_chunks("r1") == 0 and keyword_ids(catalog, fts_expression("logout"), 10) == []
    catalog.delete_repo("r2")
    assert [r.repo_id for r in catalog.list_repos()] == ["r1"]


def test_get_repo_by_name_id_prefix_and_errors(catalog):
    assert catalog.get_repo("r1").name == "alpha"
    assert catalog.get_repo("/src/beta").repo_id == "r2"
    with pytest.raises(UsageError, match="known: alpha, beta"):
        catalog.get_repo("gamma")
    catalog.upsert_repo(RepoRecord("r3", "alpha", "https://gitlab.com/x/alpha", "remote"))
    with pytest.raises(UsageError, match="several repositories"):
        catalog.get_repo("alpha")


def test_a_write_transaction_commits_at_its_end_and_rolls_back_on_error(catalog):
    """What modules beside the catalog (the sync tables) write through: all of a block, or none of it."""
    with catalog.writing() as conn:
        conn.execute("CREATE TABLE notes (key TEXT PRIMARY KEY, n INTEGER)")
        conn.execute("INSERT INTO notes VALUES ('a', 1)")
    other = Catalog(catalog.path)  # another process's view: it sees only committed rows
    assert other.read("SELECT n FROM notes WHERE key = ?", ("a",)).fetchone()["n"] == 1

    with pytest.raises(RuntimeError):
        with catalog.writing() as conn:
            conn.execute("UPDATE notes SET n = 2 WHERE key = 'a'")
            conn.execute("INSERT INTO notes VALUES ('b', 1)")
            raise RuntimeError("half way")
    assert [tuple(row) for row in catalog.read("SELECT key, n FROM notes")] == [("a", 1)]
    assert [tuple(row) for row in other.read("SELECT key, n FROM notes")] == [("a", 1)]
    other.close()


def test_the_chunks_state_changes_when_the_last_files_chunks_are_replaced_by_as_many(catalog):
    """What the search index is keyed on (Catalog.chunks_state): new chunks in place of as many removed ones
    take the same rowids, so a count, sum and maximum of the rowids stayed the same and a stale index passed
    for current."""
    before = catalog.chunks_state()
    catalog.replace_file("r2", FileRecord("lib/http_client.py", "python", 51, 2, "h3"), [
        chunk("r2", "lib/http_client.py", 7, "HttpClient", "[python] class HttpClient: sends requests again", "class")])
    assert catalog.chunks_state() != before
    assert catalog.chunk_writes() == {"r1": 2, "r2": 3}  # r2: one chunk in, one out, one in
