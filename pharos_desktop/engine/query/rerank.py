"""The second pass of search: the fused top N re-ordered by what the first pass cannot see.

Fusion adds up two rankings of chunks; it does not know whether the question's words name the symbol
itself or only its class, whether they are in its docstring or only somewhere in its code, whether the
chunk is a stretch of module-level code rather than a definition, or whether it is a one-line accessor
whose doc comment happens to hold the question's words. The re-ranker reads those facts off each
candidate's own text and adds a small linear bonus to its fused score (scaled so the top candidate has 1).
The weights (``RerankWeights``) were fit on the tuned codebases of bench/search_eval.py only
(bench/search_rerank.py); they are few and each says one thing, so ``search --explain`` can show what
each added. Pure functions: no store, no model.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields

from ..index.catalog import ChunkRecord
from .ranking import CONTAINER_KINDS, Candidate
from ..index.words import tokens

FEATURES = ("name", "owner", "doc", "code", "meaning", "module", "container", "section", "one_liner")
# Chunks of module-level code (statements between definitions, import blocks): rarely what a question means.
MODULE_KINDS = ("module", "imports")


@dataclass(frozen=True)
class RerankWeights:
    """Bonus per feature, each feature 0..1 (see ``features``). In the shares of the query's words, a rare
    word counts for more than a common one (``rarity``)."""
    name: float = 0.0  # share of the query's words in the symbol's own name
    owner: float = 0.0  # ... in the name of the class (or other container) it belongs to
    doc: float = 0.0  # ... in its summary: signature and docstring
    code: float = 0.0  # ... in its code
    meaning: float = 0.0  # cosine similarity of its best part to the query (0 when the vector ranking missed it)
    module: float = 0.0  # 1 for a chunk of module-level code or imports (the weight is a penalty)
    container: float = 0.0  # 1 for a class, interface, struct...: questions mostly ask what code does
    section: float = 0.0  # 1 for a section of a document
    one_liner: float = 0.0  # 1 for a function or method of one statement at most, unless the query names it (a penalty)

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


# Fit on the tuned codebases by bench/search_rerank.py, one_liner swept alone on top of the others (on the tuned
# codebases of both suites); how each weight came to be: bench/search_levers.md.
FITTED = RerankWeights(code=0.35, module=-0.5, container=-0.3, section=-0.2, one_liner=-0.2)

# What is not a statement: comments and docstrings, blank lines, lines that only close a block, and
# annotations (@Override, #[inline], [Fact]).
_BLOCK_ENDS = {"/*": "*/", '"""': '"""', "'''": "'''"}
_BLOCK_START = re.compile(r'/\*|"""|\'\'\'')
_NOT_STATEMENT = re.compile(r"^\s*(//.*|#(?!\[).*|--.*|[\]\)\}]+[;,]?|end|@[\w.]+(\(.*\))?|#\[.*|\[\w+(\(.*\))?\])?\s*$")


def statements(code: str) -> int:
    """Lines of a definition's body that do something, roughly: its lines less the signature and all
    that is not a statement. An accessor or a one-line wrapper has one; what a question asks about
    ("how does it decide ...") is rarely one of them, though a long doc comment gives it many words."""
    lines = _without_blocks(code).splitlines()
    return max(0, sum(1 for line in lines if not _NOT_STATEMENT.match(line)) - 1)


def _without_blocks(code: str) -> str:
    """The code without its block comments and docstrings, in one pass: an unclosed one runs to the end
    (a regex would look for its end from every opening, which hostile code can make slow)."""
    kept, at = [], 0
    while (start := _BLOCK_START.search(code, at)) is not None:
        kept.append(code[at:start.start()])
        end = code.find(_BLOCK_ENDS[start.group()], start.end())
        if end < 0:
            return "".join(kept)
        at = end + len(_BLOCK_ENDS[start.group()])
    kept.append(code[at:])
    return "".join(kept)


def rarity(document_counts: dict[str, int], total: int, terms: list[str]) -> dict[str, float]:
    """How much each query word counts in a share: log(1 + N / (1 + chunks holding it)). A word in every
    other chunk (``value``, ``get``) says little about which one is meant; one in a few (``anymatch``) a lot."""
    return {term: math.log(1 + total / (1 + document_counts.get(term, 0))) for term in terms}


def features(terms: list[str], symbol: str, kind: str, summary: str, code: str,
             similarity: float | None, term_weight: dict[str, float] | None = None,
             whole: bool = True) -> dict[str, float]:
    """The candidate's facts the weights apply to, each 0..1. ``term_weight``: how much each term counts
    in the word shares (``rarity``); without it every term counts the same. ``whole``: ``code`` is all of the
    definition, not some of the parts a long one was split into (one of those can look like a one-liner)."""
    wanted = set(terms)
    term_weight = term_weight or dict.fromkeys(wanted, 1.0)
    total = sum(term_weight.get(term, 1.0) for term in wanted)
    owner, _, own = symbol.rpartition(".")
    if own.startswith("<"):  # <module>, <imports>, <lines 1-50>: no name of its own
        own = ""

    def share(text: str) -> float:
        return sum(term_weight.get(term, 1.0) for term in wanted & set(tokens(text))) / total if total else 0.0

    # An accessor asked for by name: the query is mostly its name (a question that only shares a word with it is not).
    own_words = set(tokens(own))
    named = bool(own_words) and own_words <= wanted and 2 * len(own_words) >= len(wanted)
    return {"name": share(own), "owner": share(owner), "doc": share(summary), "code": share(code),
            "meaning": max(similarity or 0.0, 0.0), "module": 1.0 if kind in MODULE_KINDS else 0.0,
            "container": 1.0 if kind in CONTAINER_KINDS else 0.0, "section": 1.0 if kind == "section" else 0.0,
            "one_liner": 1.0 if whole and kind in ("function", "method") and not named and statements(code) <= 1
            else 0.0}


def bonus(weights: RerankWeights, found: dict[str, float]) -> dict[str, float]:
    """What each feature adds to the scaled fused score (features with no effect left out)."""
    added = {name: getattr(weights, name) * found[name] for name in FEATURES}
    return {name: round(value, 3) for name, value in added.items() if value}


def explain_bonus(added: dict[str, float]) -> str:
    """What the re-ranker did to a hit, for explaining: ``code +0.10, container -0.50``."""
    return ", ".join(f"{name} {value:+.2f}" for name, value in added.items()) or "nothing added"


def rerank(candidates: list[Candidate], records: dict[str, ChunkRecord], terms: list[str],
           weights: RerankWeights, depth: int, term_weight: dict[str, float] | None = None,
           parts: dict[tuple[str, str, str], int] | None = None) -> list[Candidate]:
    """The candidates best first: fused scores scaled so the best has 1, the first ``depth`` of them
    plus their bonus. Each keeps its fused rank and what each feature added, for explaining.
    ``term_weight``: how much each term counts in the word shares (see ``features``); ``parts``: how many
    chunks each (repo_id, path, symbol) was split into (``Catalog.symbol_part_counts``; 1 where missing)."""
    ordered = sorted(candidates, key=lambda c: -c.score)
    top = ordered[0].score if ordered else 0.0
    if top <= 0:
        return ordered
    for position, candidate in enumerate(ordered, start=1):
        candidate.fused_rank = position
        candidate.score /= top
    for candidate, found in zip(ordered, candidate_features(ordered[:depth], records, terms, term_weight, parts)):
        candidate.bonus = bonus(weights, found)
    for candidate in ordered[:depth]:
        candidate.score += sum(candidate.bonus.values())
    return sorted(ordered, key=lambda c: -c.score)


def candidate_features(candidates: list[Candidate], records: dict[str, ChunkRecord], terms: list[str],
                       term_weight: dict[str, float] | None = None,
                       parts: dict[tuple[str, str, str], int] | None = None) -> list[dict[str, float]]:
    """``features`` of each candidate, in order (the code of all its parts that were candidates)."""
    found = []
    for candidate in candidates:
        record = records[candidate.chunk_id]
        code = "\n".join(records[c].code for c in candidate.chunk_ids if c in records)
        whole = (parts or {}).get((record.repo_id, record.path, record.symbol), 1) <= len(candidate.chunk_ids)
        found.append(features(terms, record.symbol, record.kind, record.summary, code, candidate.similarity,
                              term_weight, whole))
    return found
