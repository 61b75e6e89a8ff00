"""How search orders and explains its hits, as pure functions (no store, no model): what role a file
plays (test, example, vendored copy, docs), fusion of the two rankings over symbols, and a 0-100
relevance with the reasons behind it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..index.words import stem, tokens

# Kinds of chunk that hold other definitions (their members are chunks of their own).
CONTAINER_KINDS = ("class", "struct", "interface", "trait", "enum", "module_symbol")
ROLES = ("test", "benchmark", "example", "generated", "vendored", "docs")  # every role but ordinary code
# Each ecosystem's conventions: folders, file names, and (for code that sits beside the code it tests)
# the marks a test definition carries.
_ROLE_DIRS = {
    "test": {"test", "tests", "__tests__", "testing", "spec", "specs", "__mocks__", "fixtures", "testdata",
             "testfixtures", "testutil", "testutils", "testlib"},
    "benchmark": {"bench", "benches", "benchmark", "benchmarks", "jmh"},
    "example": {"example", "examples", "demo", "demos", "sample", "samples", "_examples"},
    "generated": {"generated", "gen-src", "autogen"},
    "vendored": {"vendor", "vendored", "_vendor", "third_party", "third-party", "thirdparty", "3rdparty",
                 "node_modules", "bower_components"},
    "docs": {"doc", "docs", "documentation"},
}
# .NET keeps tests in projects named Foo.Tests, Foo.UnitTests or Foo.Specs.
_TEST_DIR = re.compile(r"^(.+[._-])?(unit|integration|functional|acceptance)?(tests?|specs?)$")
_SOURCE_SET_TEST = re.compile(r"^[a-z]+Test(s|Fixtures)?$")
# No "Spec" suffix for the JVM and .NET: there a FooSpec is as often the library's own class (JavaPoet's MethodSpec)
# as a test, and their tests sit in test folders anyway.
_TEST_FILE = re.compile(r"(^test_.*\.py$|_tests?\.(py|go|rb|rs|exs?|c|cc|cpp|cxx|h|hpp)$|_unittest\.(c|cc|cpp)$"
                        r"|^conftest\.py$|\.(test|spec)\.[cm]?[jt]sx?$"
                        r"|(Test|Tests|IT)\.(java|kt|cs|swift|scala|php|m)$|_spec\.rb$|\.test-d\.ts$)")
_BENCHMARK_FILE = re.compile(r"(_bench(mark)?\.(go|rs|c|cc|cpp)$|Benchmarks?\.(java|kt|cs|swift)$)")
_GENERATED_FILE = re.compile(r"(\.pb\.(go|cc|h)$|_pb2(_grpc)?\.py$|\.(g|designer|generated)\.cs$|_generated\.\w+$"
                             r"|^zz_generated\.|\.generated\.\w+$)", re.IGNORECASE)
_DOC_FILE = re.compile(r"\.(md|markdown|rst|adoc|asciidoc|txt)$", re.IGNORECASE)
# A definition marked as a test or benchmark where it stands: Rust's #[test] and #[bench] (and #[cfg(test)]
# modules), Java/Kotlin's @Test, C#'s [Fact], [Test], [TestMethod] and friends, Swift's @Test.
_TEST_MARK = re.compile(r"^\s*(#\[(\w+::)*test\b|#\[cfg\(test\)\]|@(Test|ParameterizedTest|RepeatedTest)\b"
                        r"|\[(Fact|Theory|Test|TestMethod|TestCase|DataTestMethod)\b)", re.MULTILINE)
_BENCH_MARK = re.compile(r"^\s*(#\[bench\]|@Benchmark\b|\[Benchmark\b)", re.MULTILINE)
# Rust's in-file test modules, named tests or test by convention: their members' symbols start so.
_TEST_MODULE = re.compile(r"(^|\.)tests?\.")
# Query words that say the user wants such files after all (stemmed, as query terms are).
_ASKS_FOR = {role: {stem(word) for word in words.split()} for role, words in {
    "test": "test tests testing spec specs mock mocks fixture fixtures conftest",
    "benchmark": "bench benchmark benchmarks benchmarking perf performance",
    "example": "example examples demo demos sample samples tutorial",
    "generated": "generated generate generator codegen protobuf",
    "vendored": "vendor vendored vendoring third bundled",
}.items()}
_SIDE_ROLES = ("vendored", "generated", "test", "benchmark", "example")  # checked in this order


def path_role(path: str) -> str:
    """The role a file plays by where it sits and how it is named (see ROLES), or "" for ordinary code."""
    parts = path.lower().split("/")
    folders, name = parts[:-1], path.rsplit("/", 1)[-1]
    cased = path.split("/")[:-1]
    for role in _SIDE_ROLES:
        if any(part in _ROLE_DIRS[role] for part in folders):
            return role
    # Gradle's and Kotlin Multiplatform's source sets: src/test, src/androidTest, src/commonTest, src/jvmTest ...
    if any(_TEST_DIR.match(part) for part in folders) or any(
            up == "src" and _SOURCE_SET_TEST.match(part) for up, part in zip(["", *folders], cased)):
        return "test"
    for role, pattern in (("generated", _GENERATED_FILE), ("test", _TEST_FILE), ("benchmark", _BENCHMARK_FILE)):
        if pattern.search(name):
            return role
    if _DOC_FILE.search(name) or any(part in _ROLE_DIRS["docs"] for part in folders):
        return "docs"
    return ""


def chunk_role(path: str, symbol: str, code: str) -> str:
    """The role of one definition: its file's, or a test's or benchmark's where the code marks it so inside
    an ordinary source file (Rust keeps unit tests in the file they test)."""
    role = path_role(path)
    if role:
        return role
    head = code[:400]  # the marks sit on the definition's first lines
    if _TEST_MODULE.search(symbol) or _TEST_MARK.search(head):
        return "test"
    if _BENCH_MARK.search(head):
        return "benchmark"
    return ""


# Each language's constructor. Java, C# and Kotlin name it after the class (Foo.Foo). C++ does too, but its
# constructors often do a class's real work (fmt, CLI11), and so does Swift's init (SwiftyJSON's parsing): demoting
# them lost 0.05 and 0.09 MRR@10 on the tuned codebases, so there they stay ordinary methods.
_CONSTRUCTOR_NAMES = {"python": ("__init__", "__new__"), "javascript": ("constructor",), "typescript": ("constructor",),
                      "tsx": ("constructor",), "php": ("__construct",), "ruby": ("initialize",)}
_NAMED_AFTER_CLASS = ("java", "csharp", "kotlin")
# Methods every class of some languages carries: they hold the class's words and rarely answer a question.
_BOILERPLATE = {"equals", "hashcode", "gethashcode", "tostring", "compareto", "clone", "__eq__", "__hash__",
                "__repr__", "__str__", "__ne__", "__lt__", "description", "debugdescription"}


def is_constructor(symbol: str, language: str) -> bool:
    owner, _, own = symbol.rpartition(".")
    if own in _CONSTRUCTOR_NAMES.get(language, ()):
        return True
    return language in _NAMED_AFTER_CLASS and bool(owner) and own == owner.rpartition(".")[2]


def is_boilerplate(symbol: str) -> bool:
    return "." in symbol and symbol.rpartition(".")[2].lower() in _BOILERPLATE


def asks_for(role: str, query_words: set[str]) -> bool:
    return bool(_ASKS_FOR.get(role, set()) & query_words)


_HOW_TO = re.compile(r"\bhow (do|to|can|should|would)\b|\b(docs?|documentation|guide|tutorial|readme|changelog|"
                     r"release notes?|install\w*|usage|migrat\w*)\b", re.IGNORECASE)


def asks_for_docs(query: str) -> bool:
    """A how-to question, or one naming documents: prose is a fair answer to it."""
    return bool(_HOW_TO.search(query))


@dataclass
class Candidate:
    """One symbol (all its parts) while ranking: its best rank in each list and its best part."""
    key: tuple[str, str, str]
    chunk_id: str  # the best-ranked part
    vector_rank: int | None = None  # 1-based rank among symbols
    keyword_rank: int | None = None
    similarity: float | None = None
    chunk_ids: list[str] = field(default_factory=list)
    score: float = 0.0
    fused_rank: int | None = None  # before the re-ranker (rerank.py) moved it
    bonus: dict[str, float] = field(default_factory=dict)  # what the re-ranker added, per feature


def rank_symbols(vector: list[tuple[str, float]], keyword: list[tuple[str, float]],
                 key_of: dict[str, tuple[str, str, str]], weights: tuple[float, float], k: int, merge: bool = True,
                 fusion: str = "rrf", scaling: str = "minmax") -> list[Candidate]:
    """Fusion over symbols: the parts of one symbol count once, at their best rank, and the part shown
    is the one the rankers liked best. ``rrf`` sums weight / (k + rank); ``scores`` sums each ranker's
    score scaled to 0..1 within its list (cosine similarity, bm25), times its weight: ``minmax`` maps
    the list's lowest to 0 and its highest to 1, ``top`` divides by the highest."""
    candidates: dict[tuple, Candidate] = {}
    part_score: dict[str, float] = {}
    for ranking, weight, which in (([c for c, _ in vector], weights[0], "vector"),
                                   ([c for c, _ in keyword], weights[1], "keyword")):
        seen: dict[tuple, int] = {}
        for position, chunk_id in enumerate(ranking, start=1):
            if chunk_id not in key_of:
                continue
            key = key_of[chunk_id] if merge else (*key_of[chunk_id][:2], chunk_id)
            rank = seen.setdefault(key, len(seen) + 1)
            part_score[chunk_id] = part_score.get(chunk_id, 0.0) + weight / (k + position)
            candidate = candidates.setdefault(key, Candidate(key, chunk_id))
            if chunk_id not in candidate.chunk_ids:
                candidate.chunk_ids.append(chunk_id)
            if getattr(candidate, f"{which}_rank") is None:
                setattr(candidate, f"{which}_rank", rank)
                candidate.score += weight / (k + rank)
    similarity = dict(vector)
    if 0.0 in weights:  # one ranker alone: its own scores order the hits, nothing to put on one scale
        scaling = "none"
    vector_scaled, keyword_scaled = _scaled(vector, scaling), _scaled(keyword, scaling)
    for candidate in candidates.values():
        candidate.chunk_id = max(candidate.chunk_ids, key=lambda c: part_score.get(c, 0.0))
        sims = [similarity[c] for c in candidate.chunk_ids if c in similarity]
        candidate.similarity = max(sims) if sims else None
        if fusion == "scores":
            candidate.score = weights[0] * max((vector_scaled.get(c, 0.0) for c in candidate.chunk_ids), default=0.0) \
                + weights[1] * max((keyword_scaled.get(c, 0.0) for c in candidate.chunk_ids), default=0.0)
    return sorted(candidates.values(), key=lambda c: -c.score)


def _scaled(scored: list[tuple[str, float]], scaling: str) -> dict[str, float]:
    """Scores mapped to 0..1: between the lowest and the highest in the list, or as a share of the highest."""
    if not scored or scaling == "none":
        return dict(scored)
    high = max(s for _, s in scored)
    low = min(s for _, s in scored) if scaling == "minmax" else 0.0
    span = (high - low) or 1.0
    return {chunk_id: (s - low) / span for chunk_id, s in scored}


# Field -> how much a query word found there says about the hit (for the 0-100 relevance).
_FIELD_STRENGTH = {"name": 1.0, "doc": 0.8, "path": 0.7, "code": 0.4}
# Cosine similarity of all-MiniLM-L6-v2 that reads as "no relation" and as "same meaning".
SIMILARITY_FLOOR, SIMILARITY_FULL = 0.2, 0.65


def matched_fields(terms: list[str], fields: dict[str, str]) -> dict[str, list[str]]:
    """field -> the query terms found in it (tokenized the way the index is)."""
    wanted = set(terms)
    found = {}
    for name, text in fields.items():
        hits = [t for t in dict.fromkeys(tokens(text)) if t in wanted]
        if hits:
            found[name] = hits
    return found


def relevance(terms: list[str], matched: dict[str, list[str]], similarity: float | None) -> int:
    """0-100: how much of the question the words cover (weighted by where they were found), and how
    close the meaning is; either alone can carry a hit, both together carry it further."""
    words = 0.0
    if terms:
        best = {t: max((_FIELD_STRENGTH[f] for f, ts in matched.items() if t in ts), default=0.0) for t in terms}
        words = sum(best.values()) / len(terms)
    meaning = 0.0
    if similarity is not None:
        meaning = min(max((similarity - SIMILARITY_FLOOR) / (SIMILARITY_FULL - SIMILARITY_FLOOR), 0.0), 1.0)
    high, low = max(words, meaning), min(words, meaning)
    return round(100 * (0.75 * high + 0.25 * low))
