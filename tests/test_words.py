"""The keyword tokenizer (one module for the index and the query), alone and through a real catalog:
non-ASCII words, one-letter identifier parts, camelCase/snake_case and plurals are all searchable."""

from __future__ import annotations

import pytest

from pharos_desktop.engine.index import keyword_index
from pharos_desktop.engine.index.catalog import Catalog, ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.index.words import content_words, index_text, query_terms, stem, tokens


def test_identifiers_split_at_case_underscores_dots_and_acronyms():
    assert tokens("parseHTTPHeader") == ["pars", "http", "header"]
    assert tokens("from_pyfile Config.from_envvar") == ["from", "pyfil", "config", "from", "envvar"]
    assert tokens("getX x.y i18n HTTP2Connection") == ["get", "x", "x", "y", "i18n", "http2", "connection"]


def test_plurals_and_tenses_share_a_stem():
    assert {stem(w) for w in ("retry", "retries", "retried")} == {"retry"}
    assert {stem(w) for w in ("parse", "parses", "parsing", "parsed")} == {"pars"}
    assert {stem(w) for w in ("header", "headers")} == {"header"}
    assert stem("class") == "class" and stem("status") == "status" and stem("run") == "run"


def test_unicode_words_are_kept_and_folded():
    assert tokens("ünïcödé Ünicode") == ["unicod", "unicod"]
    # й -> и, ß -> ss, then the light stem
    assert tokens("файл Straße") == tokens("фаил STRASSE") == ["фаил", "strass"]
    # Han has no spaces: overlapping pairs, so a two-character word inside a longer run is found.
    assert tokens("读取文件系统") == ["读取", "取文", "文件", "件系", "系统"]
    assert tokens("名") == ["名"]


def test_query_terms_drop_stopwords_but_keep_one_letter_parts():
    assert query_terms("Where is the retry delay computed?") == ["retry", "delay", "comput"]
    assert query_terms("what does getX return") == ["get", "x", "return"]
    assert query_terms("the") == ["the"]  # nothing else left: keep it rather than search for nothing
    assert query_terms("文件 在哪里") == ["文件", "在哪", "哪里"]


def test_content_words_drop_question_words_and_keep_the_rest_as_typed():
    assert content_words("Where is the session cookie signed?") == "session cookie signed?"
    assert content_words("how does parseHTTPHeader handle from_pyfile") == "parseHTTPHeader handle from_pyfile"
    assert content_words("what is it") == "what is it"  # nothing else left: the question as typed


def test_a_word_seen_before_gives_the_same_tokens_from_the_cache():
    first = tokens("retryingCallState retryingCallState")
    assert first == ["retry", "call", "stat"] * 2 and tokens("retryingCallState") == first[:3]


def record(n: int, symbol: str, code: str, summary: str = "") -> ChunkRecord:
    return ChunkRecord(f"c{n}", "r1", f"src/f{n}.py", 0, "function", symbol, "python", 1, 3, "", summary or symbol,
                       [], code, code)


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    cat.upsert_repo(RepoRecord("r1", "demo", "/src/demo", "local"))
    chunks = [record(0, "lire_fichier", "def lire_fichier():\n    '''读取文件系统中的文件'''"),
              record(1, "ünïcödé_name", "def ünïcödé_name(): pass"),
              record(2, "Point.getX", "def getX(self): return self.x"),
              record(3, "RetryPolicy.should_retry", "def should_retry(self, retries): ...", "decide on retries"),
              record(4, "unrelated", "def unrelated(): return 1")]
    for chunk in chunks:
        cat.replace_file("r1", FileRecord(chunk.path, "python", 10, 1, chunk.chunk_id), [chunk])
    yield cat
    cat.close()


def find(catalog: Catalog, query: str) -> list[str]:
    return [chunk_id for chunk_id, _ in catalog.keyword_scores(keyword_index.match_expression(query_terms(query)), 10)]


def test_catalog_finds_non_ascii_words_and_one_letter_parts(catalog):
    assert find(catalog, "文件") == ["c0"]
    assert find(catalog, "ünïcödé") == ["c1"]
    assert find(catalog, "unicode") == ["c1"]  # the folded spelling finds it too
    assert find(catalog, "x") == ["c2"]
    assert find(catalog, "getX")[0] == "c2"
    assert find(catalog, "retrying policies")[0] == "c3"
    assert find(catalog, '"unbalanced') == []


def test_an_index_written_by_an_older_tokenizer_is_rebuilt_on_open(catalog, tmp_path):
    with catalog.writing() as conn:
        conn.execute("INSERT INTO chunks_kw(chunks_kw) VALUES ('delete-all')")
        conn.execute("UPDATE meta SET value = 'old' WHERE key = 'keyword_index'")
    assert find(catalog, "文件") == []
    reopened = Catalog(tmp_path / "catalog.sqlite")
    assert find(reopened, "文件") == ["c0"]
    reopened.close()


def test_index_text_is_what_the_triggers_store():
    assert index_text("def getX(): '文件'") == "def get x 文件"
