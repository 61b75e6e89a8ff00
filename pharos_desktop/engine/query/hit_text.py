"""A search hit in words, as the command line's `search --explain` and an assistant's `search_code` show it: one
place, so that both say the same about the same hit."""

from __future__ import annotations

from .rerank import explain_bonus
from .search import SearchHit

FIELDS = ("repo", "path", "symbol", "kind", "language", "start_line", "end_line", "relevance", "parts", "role", "score",
          "summary")
EXPLAIN_FIELDS = ("vector_rank", "keyword_rank", "similarity", "fused_rank", "rerank", "matched")


def as_json(hit: SearchHit, explained: bool = False) -> dict:
    """The hit as `search --json` prints it (with --explain: its ranks, re-ranking and matched words too)."""
    keys = FIELDS + (EXPLAIN_FIELDS if explained else ())
    return {**{key: getattr(hit, key) for key in keys}, "why": hit.reasons}


def describe(hit: SearchHit) -> str:
    """symbol (kind), with the parts it has and the role of its file (test, docs...)."""
    notes = [hit.kind]
    if hit.parts > 1:
        notes.append(f"best of {hit.parts} parts")
    if hit.role:
        notes.append(hit.role)
    return f"{hit.symbol} ({', '.join(notes)})"


def why(hit: SearchHit) -> str:
    return ", ".join(hit.reasons) or "fused rank only"


def explain(hit: SearchHit) -> str:
    vector = f"vector #{hit.vector_rank}" if hit.vector_rank else "vector -"
    if hit.similarity is not None:
        vector += f" (similarity {hit.similarity:.2f})"
    keyword = f"keyword #{hit.keyword_rank}" if hit.keyword_rank else "keyword -"
    fields = "; ".join(f"{name}: {' '.join(words)}" for name, words in hit.matched.items()) or "no words"
    return f"{vector} · {keyword}{reranked(hit)} · matched {fields}"


def reranked(hit: SearchHit) -> str:
    """`` · fused #4, re-ranked: code +0.10, container -0.50`` (empty when the re-ranker did not run)."""
    if hit.fused_rank is None:
        return ""
    return f" · fused #{hit.fused_rank}, re-ranked: {explain_bonus(hit.rerank)}"
