"""Search: the query embedded with the index's model (nearest chunks in Chroma) fused with FTS5
keyword search over symbol names, paths and summaries, by reciprocal rank fusion."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from .catalog import ChunkRecord
from .workspace import Workspace

MODES = ("hybrid", "vector", "keyword")
# Reciprocal rank fusion: score = sum of weight / (K + rank). Keyword search is the weaker ranker on
# natural-language questions, so it counts half; K and the weight were chosen on bench/search_eval.py.
RRF_K = 30
KEYWORD_WEIGHT = 0.5
_STOPWORDS = frozenset("""a an and are as at be by do does for from how i in is it of on or the this to what when
where which who why with that there their into can""".split())


@dataclass
class SearchFilters:
    repo_ids: list[str] | None = None
    languages: list[str] | None = None
    kinds: list[str] | None = None
    path_glob: str | None = None


@dataclass
class SearchHit:
    chunk_id: str
    repo: str
    repo_id: str
    path: str
    symbol: str
    kind: str
    language: str
    start_line: int
    end_line: int
    score: float
    summary: str


def keyword_terms(query: str) -> list[str]:
    """Words of the query, with camelCase and snake_case split, lower-cased, stopwords dropped."""
    words = re.findall(r"[A-Za-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", query))
    return [w.lower() for w in words if w.lower() not in _STOPWORDS and len(w) > 1]


def fts_expression(query: str) -> str:
    terms = keyword_terms(query)
    return " OR ".join(f'"{term}"*' for term in dict.fromkeys(terms))


def reciprocal_rank_fusion(*rankings: list[str], weights: tuple[float, ...] | None = None,
                           k: int = RRF_K) -> list[tuple[str, float]]:
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or (1.0,) * len(rankings)):
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda pair: -pair[1])


class Searcher:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def search(self, query: str, *, limit: int = 20, filters: SearchFilters | None = None,
               mode: str = "hybrid") -> list[SearchHit]:
        """Blocking (loads the model on first use): call it off the UI thread."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        filters = filters or SearchFilters()
        query = query.strip()
        if not query:
            return []
        # Over-fetch: filters that Chroma and FTS cannot apply (path globs) drop candidates afterwards.
        depth = max(limit * 4, 50)
        vector_ids = self._vector_ranking(query, depth, filters) if mode != "keyword" else []
        keyword_ids = self._keyword_ranking(query, depth, filters) if mode != "vector" else []
        if mode == "vector":
            ranked = vector_ids
        elif mode == "keyword":
            ranked = [(chunk_id, 1.0 / (RRF_K + n + 1)) for n, chunk_id in enumerate(keyword_ids)]
        else:
            ranked = reciprocal_rank_fusion([c for c, _ in vector_ids], keyword_ids, weights=(1.0, KEYWORD_WEIGHT))
        records = self.workspace.catalog.get_chunks([chunk_id for chunk_id, _ in ranked])
        repos = self.workspace.catalog.repo_names()
        hits = []
        for chunk_id, score in ranked:
            record = records.get(chunk_id)
            if record is None or not self._passes(record, filters):
                continue
            hits.append(SearchHit(chunk_id, repos.get(record.repo_id, record.repo_id), record.repo_id, record.path,
                                  record.symbol, record.kind, record.language, record.start_line, record.end_line,
                                  round(score, 4), record.summary))
            if len(hits) >= limit:
                break
        return hits

    def _vector_ranking(self, query: str, depth: int, filters: SearchFilters) -> list[tuple[str, float]]:
        if self.workspace.catalog.count_chunks() == 0:
            return []
        embedder = self.workspace.query_embedder()
        collection = self.workspace.search_vectors(embedder.name, embedder.dim)
        if collection is None:
            return []
        return collection.query(embedder.embed_query(query), depth, _chroma_where(filters))

    def _keyword_ranking(self, query: str, depth: int, filters: SearchFilters) -> list[str]:
        expression = fts_expression(query)
        if not expression:
            return []
        return self.workspace.catalog.keyword_search(expression, depth, filters.repo_ids)

    @staticmethod
    def _passes(record: ChunkRecord, filters: SearchFilters) -> bool:
        if filters.repo_ids and record.repo_id not in filters.repo_ids:
            return False
        if filters.languages and record.language not in filters.languages:
            return False
        if filters.kinds and record.kind not in filters.kinds:
            return False
        if filters.path_glob and not fnmatch.fnmatch(record.path, filters.path_glob):
            return False
        return True


def _chroma_where(filters: SearchFilters) -> dict | None:
    clauses = []
    for key, values in (("repo_id", filters.repo_ids), ("language", filters.languages), ("kind", filters.kinds)):
        if values:
            clauses.append({key: {"$in": list(values)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
