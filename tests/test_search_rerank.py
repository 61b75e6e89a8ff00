"""The re-ranker (engine/query/rerank.py) on a real catalog: the first stage's candidates from a real keyword
index, re-ordered by what fusion cannot see (module-level chunks and classes step back for the method
the words are about), with what each feature added kept for explaining."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pharos_desktop.engine.index.catalog import ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.query.rerank import (FITTED, RerankWeights, explain_bonus, features, rarity, rerank,
                                               statements)
from pharos_desktop.engine.query.search import SearchFilters, Searcher
from pharos_desktop.engine.index.words import query_terms
from pharos_desktop.engine.workspace import Workspace

QUESTION = "merge duplicate header names that differ only in case"


def chunk(n: int, kind: str, symbol: str, summary: str, code: str) -> ChunkRecord:
    return ChunkRecord(f"src/headers.py#{n}", "r1", "src/headers.py", n, kind, symbol, "python", 10 * n + 1,
                       10 * n + 9, "", summary, [], code, summary + "\n\n" + code)


@pytest.fixture
def workspace(pharos_home):
    ws = Workspace(pharos_home)
    ws.catalog.upsert_repo(RepoRecord("r1", "httpish", "/src/httpish", "local"))
    chunks = [
        # Module-level code that repeats the question's words (a comment block): strong on keywords alone.
        chunk(0, "module", "<module>", "[python] module code of src/headers.py",
              "# Header names may differ only in case; the duplicate header names merge on lookup\n"
              "# (names that differ only in case are duplicates: merge them)\n"
              "DEFAULT_HEADERS = {}  # header names"),
        chunk(1, "class", "Headers", "[python] class Headers(dict):\n    \"\"\"Header names and their values.\"\"\"",
              "class Headers(dict):\n    \"\"\"Header names and their values.\"\"\"\n    header_names = ()"),
        chunk(2, "method", "Headers.normalize", "[python] def normalize(self):",
              "def normalize(self):\n    # header names that differ only in case are one header\n    seen = {}\n"
              "    for name in list(self):\n        key = name.lower()  # case\n"
              "        if key in seen:  # a duplicate: merge the values\n            seen[key] += self.pop(name)"),
    ]
    # Unrelated code around them, as in any repository (so that the question's words are rare); two statements
    # each, so that they are not one-liners, which step back.
    chunks += [chunk(3 + n, "function", f"step_{n}", f"[python] def step_{n}(x):",
                     f"def step_{n}(x):\n    y = x + {n}\n    return y") for n in range(8)]
    ws.catalog.replace_file("r1", FileRecord("src/headers.py", "python", 100, 1, "h"), chunks)
    yield ws
    ws.catalog.close()


def first_stage(workspace):
    terms = query_terms(QUESTION)
    candidates, records = Searcher(workspace).candidates(QUESTION, terms, 10, SearchFilters(), "keyword")
    return terms, candidates, records


def test_module_code_and_the_class_step_back_for_the_method_the_words_are_about(workspace):
    terms, candidates, records = first_stage(workspace)
    fused = [c.key[2] for c in sorted(candidates, key=lambda c: -c.score)]
    assert fused[0] == "<module>" and fused.index("Headers.normalize") > 0  # words alone favour the comment block
    reranked = rerank(candidates, records, terms, FITTED, depth=30)
    order = [c.key[2] for c in reranked]
    assert order[:2] == ["Headers.normalize", "<module>"] and order.index("Headers") > fused.index("Headers")
    scores = [c.score for c in reranked]
    assert scores == sorted(scores, reverse=True)


def test_with_every_weight_zero_the_fused_order_stands(workspace):
    terms, candidates, records = first_stage(workspace)
    fused = [c.key for c in sorted(candidates, key=lambda c: -c.score)]
    reranked = rerank(candidates, records, terms, RerankWeights(), depth=30)
    assert [c.key for c in reranked] == fused and reranked[0].score == 1.0  # scaled to the best
    assert all(c.bonus == {} for c in reranked)


def test_each_hit_keeps_its_fused_rank_and_what_each_feature_added(workspace):
    terms, candidates, records = first_stage(workspace)
    reranked = {c.key[2]: c for c in rerank(candidates, records, terms, FITTED, depth=30)}
    module, cls, method = reranked["<module>"], reranked["Headers"], reranked["Headers.normalize"]
    assert module.fused_rank == 1 and method.fused_rank > 1
    assert module.bonus["module"] == FITTED.module and cls.bonus["container"] == FITTED.container
    assert "module" not in method.bonus and "container" not in method.bonus and method.bonus["code"] > 0
    assert explain_bonus(module.bonus).startswith("code +0.") and explain_bonus(module.bonus).endswith("module -0.50")
    assert explain_bonus({}) == "nothing added"


def test_only_the_first_depth_candidates_are_reranked(workspace):
    terms, candidates, records = first_stage(workspace)
    reranked = rerank(candidates, records, terms, FITTED, depth=1)
    assert [c.key[2] for c in reranked if c.bonus] == ["<module>"]


def test_features_read_the_name_its_owner_the_docstring_and_the_code():
    found = features(["retry", "delay"], "wait_retry.compute_delay", "method", "Compute the delay.",
                     "return self.retry_delay", 0.4)
    assert found == {"name": 0.5, "owner": 0.5, "doc": 0.5, "code": 1.0, "meaning": 0.4, "module": 0.0,
                     "container": 0.0, "section": 0.0, "one_liner": 1.0}
    assert features(["module"], "<module>", "module", "", "", None)["name"] == 0.0  # no name of its own


def test_a_rare_word_counts_for_more_than_a_common_one(workspace):
    # "header" is in every chunk (their file is headers.py), "duplicate" in two: code holding only "duplicate"
    # should score above code holding only "header", though each holds one of the two words.
    terms = query_terms("duplicate header")
    counts = workspace.catalog.term_document_counts([*terms, "nowhere"])
    assert counts[terms[0]] == 2 and counts[terms[1]] == workspace.catalog.count_chunks() and "nowhere" not in counts
    term_weight = Searcher(workspace).word_rarity(terms)
    assert term_weight == rarity(counts, workspace.catalog.count_chunks(), terms)
    assert term_weight[terms[0]] > term_weight[terms[1]] > 0
    rare = features(terms, "f", "function", "", "a duplicate", None, term_weight)["code"]
    common = features(terms, "f", "function", "", "a header", None, term_weight)["code"]
    assert rare > 0.5 > common > 0 and rare + common == pytest.approx(1.0)
    assert features(terms, "f", "function", "", "a header", None)["code"] == 0.5  # unweighted


def test_the_window_tooltip_and_the_cli_explain_say_what_the_second_pass_added(workspace):
    from pharos_desktop.engine.query.hit_text import explain as cli_explain  # what the CLI prints (query/answer.py)
    from pharos_desktop.ui.search_panel import explain as tooltip

    hit = Searcher(workspace).search(QUESTION, mode="keyword")[0]
    assert hit.fused_rank is None and "fused" not in tooltip(hit) and "fused" not in cli_explain(hit)  # one ranker
    reranked = replace(hit, fused_rank=3, rerank={"code": 0.1, "container": -0.3})
    assert "\nfused: #3, re-ranked: code +0.10, container -0.30\n" in tooltip(reranked)
    assert " · fused #3, re-ranked: code +0.10, container -0.30 · matched " in cli_explain(reranked)


def test_a_hybrid_search_runs_the_second_pass_and_keeps_relevance_within_0_to_100(workspace):
    # No vectors in this catalog: the vector ranking is empty (the query model still loads), the rest is real.
    hits = Searcher(workspace).search(QUESTION, mode="hybrid")
    by_symbol = {hit.symbol: hit for hit in hits}
    assert hits[0].symbol == "Headers.normalize" and hits[0].fused_rank > 1 and hits[0].rerank["code"] > 0
    assert by_symbol["Headers"].score < 0 and by_symbol["Headers"].relevance == 0  # stepped back below zero
    assert all(0 <= hit.relevance <= 100 for hit in hits) and hits[0].relevance > 0


@pytest.mark.parametrize("code, expected", [
    ("// IntP is like Int, but takes a shorthand letter.\n// It returns the address of the value.\n"
     "func IntP(name, short string) *int {\n\treturn CommandLine.IntP(name, short)\n}", 1),
    ('def level(self):\n    """The minimum severity.\n\n    Read atomically.\n    """\n    return self._level', 1),
    ("/**\n * The name.\n */\n@Override\npublic String getName() {\n    return name;\n}", 1),
    ("#[inline]\npub fn len(&self) -> usize {\n    self.entries.len()\n}", 1),
    ("def name\n  @name\nend", 0),  # (a lone instance variable reads as an annotation: still one line at most)
    ("def add(item)\n  @items << item\n  @count = @items.size\nend", 2),
    ("[Fact]\npublic void Empty() { }", 0),
    ("int add(int *p, int n) {\n    /* each one */\n    *p += n;\n    if (*p > MAX)\n        *p = MAX;\n"
     "    return *p;\n}", 4),
    ("int f(void) {\n    x = 1;\n    /* never closed\n    y = 2;\n", 1),  # an unclosed comment runs to the end
    ("/* a */ int g(void) {\n    /* b */ x = 1; /* c\n    still c */\n    return x;\n}", 2),
    ("def parse(text):\n    # split first\n    parts = text.split(',')\n\n    return [p.strip() for p in parts]", 2),
])
def test_statements_leave_out_comments_docstrings_annotations_and_closing_lines(code, expected):
    assert statements(code) == expected


def test_a_one_line_function_steps_back_unless_the_query_is_its_name():
    accessor = "// StrictSlash defines the trailing slash behavior for new routes.\n" \
               "func (r *Router) StrictSlash(value bool) *Router {\n\treturn r.setStrict(value)\n}"
    question = query_terms("how are requests with a trailing slash redirected to the route's path")
    assert features(question, "Router.StrictSlash", "method", "", accessor, None)["one_liner"] == 1.0
    by_name = query_terms("Router.StrictSlash")
    assert features(by_name, "Router.StrictSlash", "method", "", accessor, None)["one_liner"] == 0.0
    work = accessor.replace("\treturn r.setStrict(value)", "\tr.strict = value\n\treturn r")
    assert features(question, "Router.StrictSlash", "method", "", work, None)["one_liner"] == 0.0
    for kind in ("class", "module", "section"):  # their own features say what they are
        assert features(question, "Router", kind, "", "type Router struct{}", None)["one_liner"] == 0.0
    assert FITTED.one_liner < 0


def test_one_part_of_a_long_definition_is_not_a_one_liner(workspace):
    # A long function split into parts: its last part alone reads as one statement, but the function is long.
    head = "def merge_all(self):\n" + "".join(f"    total_{n} = self.header_{n}()\n" for n in range(3))
    tail = "def merge_all(self):\n    return total_2"
    parts = [chunk(20, "method", "Headers.merge_all", "[python] def merge_all(self):", head),
             chunk(21, "method", "Headers.merge_all", "[python] def merge_all(self):", tail)]
    workspace.catalog.replace_file("r1", FileRecord("src/merge.py", "python", 100, 1, "m"),
                                   [replace(p, chunk_id=f"src/merge.py#{p.ordinal}", path="src/merge.py") for p in parts])
    searcher = Searcher(workspace)
    terms = query_terms("merge every header total")
    candidates, records = searcher.candidates("merge every header total", terms, 10, SearchFilters(), "keyword")
    counts = searcher.part_counts(candidates, records)
    assert counts[("r1", "src/merge.py", "Headers.merge_all")] == 2
    for candidate in candidates:
        candidate.chunk_ids = [c for c in candidate.chunk_ids if c.endswith("#21")] or candidate.chunk_ids
    reranked = {c.key[2]: c for c in rerank(candidates, records, terms, FITTED, 30, None, counts)}
    assert reranked["Headers.merge_all"].chunk_ids == ["src/merge.py#21"]  # only the tail was a candidate
    assert "one_liner" not in reranked["Headers.merge_all"].bonus
    alone = {c.key[2]: c for c in rerank(candidates, records, terms, FITTED, 30)}  # without the counts it would be
    assert alone["Headers.merge_all"].bonus["one_liner"] == FITTED.one_liner
