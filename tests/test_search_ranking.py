"""Search results a person can read, on a real catalog (keyword mode: no model needed): the parts of
one symbol make one hit showing the best part, tests step back unless asked for, and each hit has a
0-100 relevance and the fields that matched."""

from __future__ import annotations

import pytest

from pharos_desktop.engine.index.catalog import ChunkRecord, FileRecord, RepoRecord
from pharos_desktop.engine.query.ranking import (chunk_role, is_boilerplate, is_constructor, path_role, rank_symbols,
                                                 relevance)
from pharos_desktop.engine.query.search import Searcher, Tuning
from pharos_desktop.engine.index.words import query_terms
from pharos_desktop.engine.workspace import Workspace


def chunk(path: str, n: int, symbol: str, code: str, summary: str, kind: str = "method",
          lines: tuple[int, int] = (1, 10)) -> ChunkRecord:
    return ChunkRecord(f"{path}#{n}", "r1", path, n, kind, symbol, "python", *lines, "", summary, [], code,
                       summary + "\n\n" + code)


@pytest.fixture
def workspace(pharos_home):
    ws = Workspace(pharos_home)
    ws.catalog.upsert_repo(RepoRecord("r1", "flaskish", "/src/flaskish", "local"))
    config = [chunk("src/config.py", n, "Config",
                    f"class Config(dict):\n    # part {n}\n    def from_object(self): load config",
                    "[python] class Config(dict):\n    \"\"\"Load config from files and objects.\"\"\"", "class",
                    (1 + 40 * n, 40 + 40 * n)) for n in range(3)]
    config.append(chunk("src/config.py", 3, "Config.from_pyfile",
                        "def from_pyfile(self, filename):\n    exec(compile(config_file.read(), filename, 'exec'))",
                        "[python] def from_pyfile(self, filename, silent=False):\n    \"\"\"Update the config "
                        "from a Python file.\"\"\"", lines=(130, 160)))
    tests = [chunk("tests/test_config.py", 0, "test_config_from_pyfile",
                   "def test_config_from_pyfile():\n    app.config.from_pyfile(__file__)",
                   "[python] def test_config_from_pyfile():", "function")]
    for path, chunks in (("src/config.py", config), ("tests/test_config.py", tests)):
        ws.catalog.replace_file("r1", FileRecord(path, "python", 100, 1, path), chunks)
    yield ws
    ws.catalog.close()


def test_parts_of_one_symbol_make_one_hit_with_the_best_part_shown(workspace):
    hits = Searcher(workspace).search("config part 2", mode="keyword")
    configs = [h for h in hits if h.symbol == "Config"]
    assert len(configs) == 1
    assert configs[0].parts == 3 and (configs[0].start_line, configs[0].end_line) == (81, 120)  # part 2's lines
    unmerged = Searcher(workspace, Tuning(merge_parts=False)).search("config part 2", mode="keyword")
    assert [h.symbol for h in unmerged].count("Config") == 3


def test_the_method_asked_for_is_not_crowded_out_and_tests_step_back(workspace):
    hits = Searcher(workspace).search("load config from_pyfile", mode="keyword")
    assert hits[0].symbol == "Config.from_pyfile" and hits[0].role == ""
    symbols = [h.symbol for h in hits]
    assert "test_config_from_pyfile" in symbols[1:] and "Config" in symbols[1:]  # the class steps back for its member
    assert next(h for h in hits if h.symbol == "test_config_from_pyfile").role == "test"
    for question in ("test for from_pyfile", "tests of from_pyfile"):
        assert Searcher(workspace).search(question, mode="keyword")[0].symbol == "test_config_from_pyfile"


def test_hits_say_why_they_matched(workspace):
    hits = Searcher(workspace).search("from_pyfile", mode="keyword")
    hit = hits[0]
    assert hit.symbol == "Config.from_pyfile"
    assert hit.matched["name"] == ["pyfil"] and "doc" in hit.matched  # "from" is a stopword
    assert hit.reasons[:2] == ["name", "doc"] and "meaning" not in hit.reasons
    # The test ranked first on keywords; it steps back, and its rank says so.
    assert (hit.keyword_rank, hits[1].keyword_rank, hits[1].role) == (2, 1, "test") and hit.vector_rank is None
    assert 0 < hit.relevance <= 100


def test_rank_fusion_counts_each_symbol_once_at_its_best_rank():
    key_of = {"a1": ("r", "a.py", "A"), "a2": ("r", "a.py", "A"), "b": ("r", "b.py", "B"), "c": ("r", "c.py", "C")}
    ranked = rank_symbols([("a2", 0.7), ("a1", 0.6), ("b", 0.5)], [("b", 9.0), ("c", 5.0), ("a1", 1.0)], key_of,
                          (1.0, 1.0), k=10)
    assert [c.key[2] for c in ranked] == ["B", "A", "C"]
    a = next(c for c in ranked if c.key[2] == "A")
    # a1 is in both rankings, so it is the part shown; the symbol's similarity is its best part's.
    assert (a.vector_rank, a.keyword_rank, a.chunk_id, a.similarity) == (1, 3, "a1", 0.7)


def test_relevance_is_0_to_100_and_rewards_words_and_meaning():
    terms = ["retry", "delay"]
    assert relevance(terms, {}, None) == 0
    assert relevance(terms, {"name": ["retry", "delay"]}, None) == 75
    assert relevance(terms, {"name": ["retry", "delay"]}, 0.9) == 100
    assert relevance(terms, {"code": ["retry"]}, None) < relevance(terms, {"name": ["retry"]}, None)
    assert relevance(terms, {}, 0.2) == 0 and relevance(terms, {}, 0.65) == 75


@pytest.mark.parametrize("path, role", [
    ("tests/test_app.py", "test"), ("src/app_test.go", "test"), ("lib/x.spec.ts", "test"), ("conftest.py", "test"),
    ("examples/tutorial/app.py", "example"), ("src/_vendor/six.py", "vendored"), ("docs/api.rst", "docs"),
    ("CHANGES.rst", "docs"), ("README.md", "docs"), ("src/flask/app.py", ""), ("src/testing.py", ""),
    ("src/contest.py", "")])
def test_path_roles(path, role):
    assert path_role(path) == role


@pytest.mark.parametrize("path, role", [
    # Java, Kotlin (Gradle source sets, Multiplatform ones too), C#, Swift, C/C++, Rust, Go
    ("src/test/java/org/jsoup/nodes/ElementTest.java", "test"), ("okio/src/commonTest/kotlin/okio/BufferTest.kt", "test"),
    ("okio/src/jvmMain/kotlin/okio/Okio.kt", ""), ("src/integrationTest/java/A.java", "test"),
    ("src/Serilog.Tests/Core/LoggerTests.cs", "test"), ("src/Polly.Specs/Retry/RetrySpecs.cs", "test"),
    ("src/Polly/Retry/RetryPolicy.cs", ""), ("Tests/AlamofireTests/SessionTests.swift", "test"),
    ("db/db_test.cc", "test"), ("util/arena_unittest.cc", "test"), ("src/latest/x.py", ""),
    ("benches/walk.rs", "benchmark"), ("src/jmh/java/Bench.java", "benchmark"), ("parse_bench_test.go", "test"),
    ("api/service.pb.go", "generated"), ("Properties/Resources.Designer.cs", "generated"),
    ("vendor/github.com/x/y.go", "vendored"), ("third_party/zlib/inflate.c", "vendored"),
    ("lib/requests/api.py", ""), ("Sources/Logging/Logging.swift", ""),
    ("src/main/java/com/squareup/javapoet/MethodSpec.java", "")])
def test_each_ecosystems_roles(path, role):
    assert path_role(path) == role


@pytest.mark.parametrize("path, symbol, code, role", [
    ("src/lib.rs", "tests.it_adds", "    #[test]\n    fn it_adds() {}", "test"),  # a #[cfg(test)] mod tests member
    ("src/lib.rs", "tests.helper", "    fn helper() -> i32 { 1 }", "test"),  # unmarked, but in the test module
    ("src/lib.rs", "parse_flags", "#[test]\nfn parse_flags() {}", "test"),
    ("src/lib.rs", "parse_flags", "#[tokio::test]\nasync fn parse_flags() {}", "test"),
    ("src/lib.rs", "bench_walk", "#[bench]\nfn bench_walk(b: &mut Bencher) {}", "benchmark"),
    ("src/lib.rs", "latest.version", "fn version() {}", ""),  # a module merely ending in "test"
    ("src/Foo.cs", "FooFacts.Parses", "[Fact]\npublic void Parses() {}", "test"),
    ("src/main/kotlin/A.kt", "A.works", "@Test fun works() {}", "test"),
    ("src/lib.rs", "add", "pub fn add(a: i32, b: i32) -> i32 { a + b }", ""),
    ("tests/cli.rs", "run", "fn run() {}", "test")])  # the file's role comes first
def test_a_definition_marked_as_a_test_is_one_where_it_stands(path, symbol, code, role):
    assert chunk_role(path, symbol, code) == role


def test_score_fusion_scales_each_ranker_and_keeps_the_ranks_for_explaining():
    key_of = {"a": ("r", "a.py", "A"), "b": ("r", "b.py", "B"), "c": ("r", "c.py", "C")}
    vector = [("a", 0.62), ("b", 0.60), ("c", 0.30)]  # a and b mean about the same
    keyword = [("b", 12.0), ("c", 11.0), ("a", 2.0)]  # b is a clear keyword match
    ranked = rank_symbols(vector, keyword, key_of, (1.0, 1.0), k=30, fusion="scores")
    assert [c.key[2] for c in ranked] == ["B", "A", "C"]
    b = ranked[0]
    assert (b.vector_rank, b.keyword_rank) == (2, 1) and b.score == pytest.approx((0.60 - 0.30) / (0.62 - 0.30) + 1.0)


def test_the_default_scaling_lets_the_ranker_with_the_clearer_preference_decide():
    key_of = {c: ("r", f"{c}.py", c.upper()) for c in "abcd"}
    vector = [("a", 0.40), ("b", 0.39), ("c", 0.30)]  # a and b 2.5% apart
    keyword = [("b", 10.0), ("a", 9.5), ("d", 1.0)]  # b 5% ahead of a
    shares = rank_symbols(vector, keyword, key_of, (1.0, 1.0), k=30, fusion="scores", scaling=Tuning().scaling)
    assert [c.key[2] for c in shares[:2]] == ["B", "A"]
    # Min-max scaling stretches each list to 0..1, which blows the vector ranking's small gap up to 10%.
    stretched = rank_symbols(vector, keyword, key_of, (1.0, 1.0), k=30, fusion="scores", scaling="minmax")
    assert [c.key[2] for c in stretched[:2]] == ["A", "B"]


def test_a_constructor_steps_back_unless_the_question_is_about_construction(workspace):
    init = chunk("src/retry.py", 0, "Retrying.__init__", "def __init__(self, stop, wait): self.wait = wait",
                 "[python] def __init__(self, stop, wait):")
    call = chunk("src/retry.py", 1, "Retrying.__call__", "def __call__(self, fn): sleep(self.wait(state))",
                 "[python] def __call__(self, fn):")
    workspace.catalog.replace_file("r1", FileRecord("src/retry.py", "python", 10, 1, "r"), [init, call])
    assert Searcher(workspace).search("retrying wait", mode="keyword")[0].symbol == "Retrying.__call__"
    plain = Searcher(workspace, Tuning(constructor_penalty=1.0)).search("retrying wait", mode="keyword")
    assert plain[0].symbol == "Retrying.__init__"  # on words alone the constructor wins
    initialised = Searcher(workspace).search("how is retrying wait initialized", mode="keyword")
    assert initialised[0].symbol == "Retrying.__init__"


def test_relevance_never_rises_down_the_list(workspace):
    hits = Searcher(workspace).search("load config from a python file", mode="keyword")
    assert len(hits) >= 3
    numbers = [hit.relevance for hit in hits]
    assert numbers == sorted(numbers, reverse=True) and 0 < numbers[0] <= 100
    assert numbers[0] == relevance(query_terms("load config from a python file"), hits[0].matched, None)


@pytest.mark.parametrize("symbol, language, expected", [
    ("Retrying.__init__", "python", True), ("Client.constructor", "typescript", True),
    ("Logger.__construct", "php", True), ("Thor.initialize", "ruby", True),
    ("VerbAttribute.VerbAttribute", "csharp", True), ("Element.Element", "java", True),
    ("Parser.Parser", "cpp", False), ("JSON.init", "swift", False),  # they do real work there: see is_constructor
    ("Tokenizer.Tokenize", "csharp", False), ("init", "go", False), ("Retrying.__init__", "ruby", False)])
def test_each_languages_constructor(symbol, language, expected):
    assert is_constructor(symbol, language) is expected


def test_boilerplate_methods_are_those_every_class_carries():
    assert is_boilerplate("Error.Equals") and is_boilerplate("Node.hashCode") and is_boilerplate("Route.__repr__")
    assert not is_boilerplate("equals") and not is_boilerplate("Tokenizer.ExplodeOptionList")
