"""Search at scale (issue 26), on real catalogs: the commonest query words are left out of the keyword match
(it scores every chunk a matched word holds) while the rarest always stays, and the totals each search needs
are counted once until the chunks change."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pharos_desktop.engine.index import keyword_index
from pharos_desktop.engine.index.catalog import Catalog, ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.query.search import Searcher, Tuning
from pharos_desktop.engine.workspace import Workspace

# "value" is in every chunk, "parse" in one: the question's rare word finds the chunk it names.
FILES = {f"src/mod{n}.py": (f"helper_{n}", f"def helper_{n}(value):\n    return value + {n}") for n in range(40)}
FILES["src/reader.py"] = ("parse_header", "def parse_header(value):\n    return value.split(':')")


def chunk(path: str, symbol: str, code: str) -> ChunkRecord:
    return ChunkRecord(f"{path}#0", "r1", path, 0, "function", symbol, "python", 1, 2, "", f"def {symbol}(value)", [],
                       code, code)


@pytest.fixture
def workspace(pharos_home):
    ws = Workspace(pharos_home)
    ws.catalog.upsert_repo(RepoRecord("r1", "tools", "/src/tools", "local"))
    for path, (symbol, code) in FILES.items():
        ws.catalog.replace_file("r1", FileRecord(path, "python", 100, 1, path), [chunk(path, symbol, code)])
    yield ws
    ws.catalog.close()


def test_the_rarest_words_are_kept_until_the_budget_and_the_rarest_always():
    counts = {"value": 900, "pars": 3, "head": 40, "gone": 0}
    assert keyword_index.selective_terms(["value", "pars", "head"], counts, 100) == ["pars", "head"]
    assert keyword_index.selective_terms(["value", "pars", "head"], counts, 10) == ["pars"]
    assert keyword_index.selective_terms(["value"], counts, 10) == ["value"]  # one common word: still searched
    assert keyword_index.selective_terms(["gone", "value"], counts, 10) == ["value"]
    assert keyword_index.selective_terms(["gone"], counts, 10) == []  # no chunk holds it: nothing to match


def test_a_common_word_is_left_out_of_the_match_and_the_rare_one_finds_its_chunk(workspace):
    # No floor, a 5% share: "value" (41 of 41 chunks) is over it, "parse" (1) is not.
    searcher = Searcher(workspace, Tuning(keyword_share=0.05, keyword_floor=0))
    hits = searcher.search("parse value", mode="keyword")
    assert [h.symbol for h in hits] == ["parse_header"]  # chunks holding only "value" are not scored at all
    assert [h.symbol for h in Searcher(workspace).search("parse value", mode="keyword")][0] == "parse_header"
    # By default (and below the floor) every word is matched, as before: the others follow.
    assert len(Searcher(workspace).search("parse value", mode="keyword", limit=50)) == 41
    # A one-word query of the commonest word still answers.
    assert len(searcher.search("value", mode="keyword", limit=50)) == 41


def test_the_chunk_total_is_counted_once_until_the_chunks_change(workspace, pharos_home):
    catalog = workspace.catalog
    counts: list[str] = []
    catalog._conn().set_trace_callback(lambda sql: counts.append(sql) if sql == "SELECT COUNT(*) FROM chunks" else None)
    assert catalog.count_chunks() == 41
    assert catalog.count_chunks() == 41 and len(counts) == 1  # the second from memory
    catalog.replace_file("r1", FileRecord("src/new.py", "python", 100, 1, "src/new.py"),
                         [chunk("src/new.py", "fresh", "def fresh(value): pass")])
    assert catalog.count_chunks() == 42
    other = Catalog(catalog.path)  # another process's ingest writes through its own connection
    other.delete_files("r1", ["src/mod0.py", "src/mod1.py"])
    other.close()
    assert catalog.count_chunks() == 40


def test_a_search_imports_only_its_own_command():
    code = ("import sys; from pharos_desktop.cli import build_parser; build_parser('search'); "
            "print(sorted(m for m in sys.modules if m.startswith('pharos_desktop.cli.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pharos_desktop.cli.search" in loaded
    assert "pharos_desktop.cli.sync" not in loaded and "pharos_desktop.cli.worker" not in loaded
