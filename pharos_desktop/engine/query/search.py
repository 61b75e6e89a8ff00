"""Search: the query embedded with the index's model (nearest chunks in Chroma) fused with keyword
search (FTS5 over names, paths, summaries and code, see keyword_index). Fusion is over symbols, so the
parts of one long symbol make one hit; each ranker's scores are scaled to 0..1 and summed with weights.
Tests, examples and vendored copies step back unless the question asks for them, documents unless it
is a how-to question, a class when one of its own members matched, a constructor unless construction
is asked about. A second pass (rerank.py) then re-orders the fused top 30 by what fusion cannot see.
Each hit carries a 0-100 relevance and why it matched.

The query goes through ``workspace.embedder().embed_query`` only, so a lighter query encoder can
stand in for the model without changes here."""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field

from ..index import keyword_index
from ..index.catalog import ChunkRecord
from .ranking import (CONTAINER_KINDS, Candidate, asks_for, asks_for_docs, chunk_role, is_boilerplate, is_constructor,
                      matched_fields, rank_symbols, relevance)
from .rerank import FITTED, RerankWeights, rarity, rerank
from ..index.words import content_words, query_terms, stem
from ..workspace import Workspace
from . import MODES

_BOILERPLATE_WORDS = {stem(w) for w in "equal equals equality hash hashcode string compare comparison clone copy "
                       "dispose repr".split()}
_CONSTRUCTION_WORDS = {stem(w) for w in "init initial initialize initialise constructor construct create new instance "
                       "instantiate setup".split()}


@dataclass
class Tuning:
    """The knobs bench/search_levers.py measures. The defaults were chosen on the tuned codebases of
    bench/search_eval.py only (ties within 0.005 MRR went to the milder setting, and a change had to
    help most tuned codebases, not just the total); the held-out codebases never chose anything.
    The vector ranking always counts 1."""
    fusion: str = "scores"  # scores: each ranker's scores scaled to 0..1 and summed | rrf: by ranks
    # For score fusion: top (a share of the list's highest) | minmax (the list's lowest 0, highest 1). minmax
    # stretches a flat list, so a ranker that found nothing clearly better gets as loud as one that did.
    scaling: str = "top"
    keyword_weight: float = 0.75  # weight of the keyword ranking
    rrf_k: int = 30  # for rrf fusion (and for picking the part shown)
    depth: int = 100  # candidates fetched from each ranker (at least twice the limit)
    merge_parts: bool = True
    role_penalty: float = 0.5  # score factor for tests, examples, generated or vendored code not asked for
    docs_penalty: float = 0.6  # score factor for documents when the query is not a how-to question
    container_penalty: float = 0.6  # score factor for a class whose own member is also a candidate
    constructor_penalty: float = 0.5  # score factor for a constructor unless the query asks for one
    boilerplate_penalty: float = 0.5  # score factor for equals/hashCode/toString and kin unless the query asks
    field_weights: dict[str, float] = field(default_factory=lambda: dict(keyword_index.WEIGHTS))
    prefix: bool = False  # match query words as prefixes of indexed words
    # Keyword matching may leave out the commonest query words once the chunks the words hold together pass this
    # share of the index, or keyword_floor chunks where that is more (keyword_index.selective_terms; the rarest
    # word always stays). Off (1.0) by default: 0.05 with no floor, as a million-chunk index would have it, cost
    # 0.025 fused MRR@10 on the tuned codebases of the languages suite (docs/benchmarks.md, scale section).
    keyword_share: float = 1.0
    keyword_floor: int = 20_000
    rerank: RerankWeights = FITTED  # all 0 (RerankWeights()): no second pass
    rerank_depth: int = 30  # fused candidates the re-ranker reorders
    rare_words: bool = True  # the re-ranker's word shares weigh each word by its rarity (False: all the same)
    vector_query: str = "content"  # what is embedded: content (stopwords dropped) | raw (the query as typed)


@dataclass
class SearchFilters:
    repo_ids: list[str] | None = None
    languages: list[str] | None = None
    kinds: list[str] | None = None
    path_glob: str | None = None


@dataclass
class SearchHit:
    chunk_id: str  # the best-matching part of the symbol
    repo: str
    repo_id: str
    path: str
    symbol: str
    kind: str
    language: str
    start_line: int  # of that part
    end_line: int
    score: float  # fused score, only for ordering
    summary: str
    relevance: int = 0  # 0-100: the best hit's ranking.relevance, the others in proportion to their score
    parts: int = 1  # parts the symbol was split into; more than one: the lines are the best part's
    vector_rank: int | None = None  # rank among symbols in each ranking (None: not in its top)
    keyword_rank: int | None = None
    similarity: float | None = None
    matched: dict[str, list[str]] = field(default_factory=dict)  # field -> query words found there
    role: str = ""  # test | example | vendored | docs | "" (ordinary code)
    fused_rank: int | None = None  # before the re-ranker; None when it did not run
    rerank: dict[str, float] = field(default_factory=dict)  # feature -> what the re-ranker added

    @property
    def reasons(self) -> list[str]:
        """Why it matched, in words: the fields holding query words, and "meaning" when the vector
        ranking put it near the top."""
        why = [name for name in ("name", "doc", "path", "code") if name in self.matched]
        if self.vector_rank is not None and self.vector_rank <= 10:
            why.append("meaning")
        return why


class Searcher:
    def __init__(self, workspace: Workspace, tuning: Tuning | None = None) -> None:
        self.workspace = workspace
        self.tuning = tuning or Tuning()
        self.vectors_missing = 0  # chunks the last vector search could not see: the store lacks their vectors
        self._counts: dict[str, int] = {}  # term -> chunks holding it, at _counts_state (document_counts)
        self._counts_state: tuple | None = None

    @property
    def warning(self) -> str:
        """One line for the user when the last search could not see every chunk, else ""."""
        if not self.vectors_missing:
            return ""
        return (f"semantic search left out {self.vectors_missing} chunks whose vectors the vector store lacks: "
                "run pharos-desktop doctor to see which repositories to ingest again")

    def warm_up(self) -> None:
        """Load the query model and read the vectors now, so the first search does not wait."""
        if self.workspace.catalog.count_chunks():
            embedder = self.workspace.query_embedder()
            self.workspace.search_vectors(embedder.name, embedder.dim)

    def search(self, query: str, *, limit: int = 20, filters: SearchFilters | None = None,
               mode: str = "hybrid") -> list[SearchHit]:
        """Blocking (loads the model on first use): call it off the UI thread."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        filters = filters or SearchFilters()
        self.vectors_missing = 0  # (a keyword search looks at no vectors: the last search's count is not its own)
        query = query.strip()
        if not query or limit < 1:
            return []
        terms = query_terms(query)
        candidates, records = self.candidates(query, terms, limit, filters, mode)
        if mode == "hybrid" and self.tuning.rerank:
            candidates = rerank(candidates, records, terms, self.tuning.rerank, self.tuning.rerank_depth,
                                self.word_rarity(terms) if self.tuning.rare_words else None,
                                self.part_counts(candidates, records))
        candidates = sorted(candidates, key=lambda c: -c.score)[:limit]
        catalog = self.workspace.catalog
        parts = catalog.symbol_part_counts([c.key for c in candidates])
        repos = catalog.repo_names()
        hits = []
        for candidate in candidates:
            record = records[candidate.chunk_id]
            matched = matched_fields(terms, {"name": record.symbol, "path": record.path, "doc": record.summary,
                                             "code": record.code})
            hits.append(SearchHit(
                record.chunk_id, repos.get(record.repo_id, record.repo_id), record.repo_id, record.path,
                record.symbol, record.kind, record.language, record.start_line, record.end_line,
                candidate.score, record.summary, 0, parts.get(candidate.key, 1), candidate.vector_rank,
                candidate.keyword_rank, None if candidate.similarity is None else round(candidate.similarity, 3),
                matched, chunk_role(record.path, record.symbol, record.code), candidate.fused_rank, candidate.bonus))
        if hits:
            # The best hit's relevance says how well it matches on its own (words and meaning); the others
            # follow in proportion to their score, so the numbers never rise down the list.
            top = relevance(terms, hits[0].matched, hits[0].similarity)
            for hit in hits:
                # (the re-ranker's penalties can take a score below 0: that reads as no relevance)
                hit.relevance = max(0, round(top * hit.score / hits[0].score)) if hits[0].score > 0 else 0
        return hits

    def candidates(self, query: str, terms: list[str], limit: int, filters: SearchFilters,
                   mode: str) -> tuple[list[Candidate], dict[str, ChunkRecord]]:
        """The first stage: both rankings fused over symbols, with the step-backs applied (unsorted),
        and the records of every chunk they name."""
        tuning = self.tuning
        # Twice the hits asked for (the parts of one symbol merge into one), and more when a path glob,
        # which Chroma and FTS cannot apply, drops candidates afterwards. Each fetched chunk costs a
        # catalog read: the window's 50 hits at 4x took 64 ms of CPU a search, at 2x 57 ms.
        depth = max(limit * (4 if filters.path_glob else 2), tuning.depth)
        if mode == "hybrid":
            # The two rankings side by side: each waits mostly outside Python (SQLite, numpy, the model), so on
            # two cores a search takes about the longer of them rather than their sum.
            beside = _Beside(self._vector_ranking, query, depth, filters)
            try:
                keyword = self._keyword_ranking(terms, depth, filters)
            finally:
                vector = beside.result()  # no thread outlives the search (a command's process ends on time)
        else:
            vector = self._vector_ranking(query, depth, filters) if mode == "vector" else []
            keyword = self._keyword_ranking(terms, depth, filters) if mode == "keyword" else []
        catalog = self.workspace.catalog
        records = {cid: r for cid, r in catalog.get_chunks(list(dict.fromkeys(
            [c for c, _ in vector] + [c for c, _ in keyword]))).items() if _passes(r, filters)}
        key_of = {cid: (r.repo_id, r.path, r.symbol) for cid, r in records.items()}
        weights = {"hybrid": (1.0, tuning.keyword_weight), "vector": (1.0, 0.0), "keyword": (0.0, 1.0)}[mode]
        candidates = rank_symbols(vector, keyword, key_of, weights, tuning.rrf_k, tuning.merge_parts, tuning.fusion,
                                  tuning.scaling)
        words = set(terms)
        how_to = asks_for_docs(query)
        found = [records[c.chunk_id] for c in candidates]
        members = {(r.repo_id, r.path, r.symbol.rpartition(".")[0]) for r in found if "." in r.symbol}
        for candidate, record in zip(candidates, found):
            role = chunk_role(record.path, record.symbol, record.code)
            if role and role != "docs" and not asks_for(role, words):
                candidate.score *= tuning.role_penalty
            elif role == "docs" and not how_to:
                candidate.score *= tuning.docs_penalty
            if (record.repo_id, record.path, record.symbol) in members and record.kind in CONTAINER_KINDS:
                candidate.score *= tuning.container_penalty
            if is_constructor(record.symbol, record.language) and not words & _CONSTRUCTION_WORDS:
                candidate.score *= tuning.constructor_penalty
            elif is_boilerplate(record.symbol) and not words & _BOILERPLATE_WORDS:
                candidate.score *= tuning.boilerplate_penalty
        if mode != "hybrid":  # one ranker only: nothing that only the other one found
            candidates = [c for c in candidates if getattr(c, f"{mode}_rank") is not None]
        return candidates, records

    def part_counts(self, candidates: list[Candidate], records: dict[str, ChunkRecord]) -> dict[tuple, int]:
        """How many chunks each of the re-ranker's candidates was split into (so that one part of a long
        definition is not taken for a one-liner)."""
        first = [records[c.chunk_id] for c in sorted(candidates, key=lambda c: -c.score)[:self.tuning.rerank_depth]]
        return self.workspace.catalog.symbol_part_counts([(r.repo_id, r.path, r.symbol) for r in first])

    def word_rarity(self, terms: list[str]) -> dict[str, float]:
        """How much each term counts in the re-ranker's word shares (rerank.rarity), from the whole index."""
        return rarity(self.document_counts(terms), self.workspace.catalog.count_chunks(), terms)

    def document_counts(self, terms: list[str]) -> dict[str, int]:
        """term -> chunks holding it (Catalog.term_document_counts), remembered until the chunks change: FTS5
        counts a term by reading its whole list of chunks (some 2 ms for a common word at a million)."""
        state = self.workspace.catalog.chunks_state()
        if self._counts_state != state:
            self._counts, self._counts_state = {}, state
        wanted = [t for t in terms if t not in self._counts]
        if wanted:
            found = self.workspace.catalog.term_document_counts(wanted)
            self._counts.update({t: found.get(t, 0) for t in wanted})
        return {t: self._counts[t] for t in terms if self._counts[t]}

    def _vector_ranking(self, query: str, depth: int, filters: SearchFilters) -> list[tuple[str, float]]:
        if self.workspace.catalog.count_chunks() == 0:
            return []
        embedder = self.workspace.query_embedder()
        collection = self.workspace.search_vectors(embedder.name, embedder.dim)
        if collection is None:
            return []
        self.vectors_missing = collection.missing
        text = content_words(query) if self.tuning.vector_query == "content" else query
        return collection.query(embedder.embed_query(text), depth, _chroma_where(filters))

    def _keyword_ranking(self, terms: list[str], depth: int, filters: SearchFilters) -> list[tuple[str, float]]:
        if not terms:
            return []
        # (Not for prefixes: a prefix matches more words than its document count says. And a share of 1.0 keeps
        # every word: the chunks of several common words together may number more than the index holds.)
        if not self.tuning.prefix and self.tuning.keyword_share < 1.0:
            tuning, catalog = self.tuning, self.workspace.catalog
            budget = max(tuning.keyword_share * catalog.count_chunks(), tuning.keyword_floor)
            terms = keyword_index.selective_terms(terms, self.document_counts(terms), budget)
            if not terms:  # no chunk holds any of them
                return []
        expression = keyword_index.match_expression(terms, self.tuning.prefix)
        return self.workspace.catalog.keyword_scores(expression, depth, filters.repo_ids, self.tuning.field_weights)


class _Beside(threading.Thread):
    """A call run on a thread of its own while the caller does something else; ``result`` waits for it."""

    def __init__(self, call, *args) -> None:
        super().__init__(name="pharos-search-beside", daemon=True)
        self._call, self._args = call, args
        self._value, self._error = None, None
        self.start()

    def run(self) -> None:
        try:
            self._value = self._call(*self._args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller in result()
            self._error = exc

    def result(self):
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


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
