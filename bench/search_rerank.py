"""Fit the re-ranker's weights (engine/query/rerank.py) on the tuned codebases of bench/search_eval.py only.

    .venv/bin/python -m bench.search_rerank              (fit and cross-check on the tuned codebases)
    .venv/bin/python -m bench.search_rerank --heldout    (also report the shipped weights held out)

Each tuned question's fused candidates are fetched once (search's first stage, re-ranker off) with
their features; then every weight combination on a small grid is scored by MRR@10 over the tuned
questions, and the best one (ties within 0.003: the smallest total weight) is printed. The
cross-check fits on all tuned codebases but one and scores the one left out, for each in turn: an
estimate of how the fit carries to new code that never touches the held-out set. ``--heldout``
evaluates the weights shipped in search.Tuning, after they were chosen here; it chooses nothing.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import sys
from dataclasses import asdict, replace

import numpy as np

from bench.search_eval import K, _corpus_repo_ids, evaluate, is_answer, load_questions, prepare_workspace
from bench.search_levers import _VECTOR_CACHE, CachedSearcher
from pharos_desktop.engine.query.rerank import FEATURES, RerankWeights, candidate_features
from pharos_desktop.engine.query.search import SearchFilters, Tuning
from pharos_desktop.engine.index.words import query_terms

# The grid: positive bonuses for words where they count, a penalty for module-level chunks.
GRID = {"name": (0.0, 0.1, 0.2, 0.4), "owner": (0.0, 0.1, 0.2), "doc": (0.0, 0.1, 0.2, 0.4),
        "code": (0.0, 0.1, 0.2, 0.4), "meaning": (0.0, 0.25, 0.5, 1.0), "module": (0.0, -0.1, -0.2, -0.3, -0.5),
        "container": (0.0, -0.1, -0.2, -0.3, -0.5), "section": (0.0, -0.1, -0.2), "one_liner": (0.0, -0.1, -0.2, -0.3)}
TIE = 0.003


def question_table(workspace, searcher, depth: int, keep: int = 60) -> list[dict]:
    """Per tuned question: fused scores scaled to the best (first ``keep`` candidates), features of the
    first ``depth`` (zeros after), and which candidates answer it."""
    repo_ids = _corpus_repo_ids(workspace)
    table = []
    for question in load_questions("tuned"):
        terms = query_terms(question["q"])
        filters = SearchFilters(repo_ids=[repo_ids[question["codebase"]]])
        candidates, records = searcher.candidates(question["q"], terms, K, filters, "hybrid")
        term_weight = searcher.word_rarity(terms) if searcher.tuning.rare_words else None
        ordered = sorted(candidates, key=lambda c: -c.score)[:keep]
        top = ordered[0].score if ordered and ordered[0].score > 0 else 1.0
        for candidate in ordered:
            candidate.score /= top
        found = np.zeros((len(ordered), len(FEATURES)))
        parts = searcher.part_counts(ordered[:depth], records)
        for i, values in enumerate(candidate_features(ordered[:depth], records, terms, term_weight, parts)):
            found[i] = [values[name] for name in FEATURES]
        answers = np.array([is_answer(records[c.chunk_id], question["expect"]) for c in ordered], dtype=bool)
        table.append({"codebase": question["codebase"], "base": np.array([c.score for c in ordered]),
                      "features": found, "answers": answers})
    return table


def mrr(table: list[dict], weights: np.ndarray) -> np.ndarray:
    """MRR@10 of each weight row (weights: combos x features) over the questions of table."""
    total = np.zeros(len(weights))
    for q in table:
        if not q["answers"].any():
            continue
        scores = q["base"][None, :] + weights @ q["features"].T  # combos x candidates
        best_answer = np.where(q["answers"][None, :], scores, -np.inf).max(axis=1)
        rank = 1 + (scores > best_answer[:, None]).sum(axis=1)
        total += np.where(rank <= K, 1.0 / rank, 0.0)
    return total / len(table)


def fit(table: list[dict], grid: np.ndarray) -> tuple[np.ndarray, float]:
    scores = mrr(table, grid)
    near = np.flatnonzero(scores >= scores.max() - TIE)
    chosen = near[np.argmin(np.abs(grid[near]).sum(axis=1))]
    return grid[chosen], float(scores[chosen])


def describe(weights: np.ndarray) -> str:
    return ", ".join(f"{name} {w:g}" for name, w in zip(FEATURES, weights))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heldout", action="store_true", help="also report the shipped weights held out")
    parser.add_argument("--depth", type=int, default=Tuning().rerank_depth)
    parser.add_argument("--only", help="comma-separated features to fit (the rest stay 0)")
    args = parser.parse_args()
    workspace = prepare_workspace()
    cache_file = workspace.data_folder / "vector-rankings.pickle"
    if cache_file.is_file():
        _VECTOR_CACHE.update(pickle.loads(cache_file.read_bytes()))
    first_stage = replace(Tuning(), rerank=RerankWeights())
    table = question_table(workspace, CachedSearcher(workspace, first_stage), args.depth)
    cache_file.write_bytes(pickle.dumps(_VECTOR_CACHE))
    only = set(args.only.split(",")) if args.only else set(FEATURES)
    grid = np.array(list(itertools.product(*(GRID[name] if name in only else (0.0,) for name in FEATURES))))
    off = np.zeros((1, len(FEATURES)))
    print(f"tuned, fused without re-ranking: MRR@10 {mrr(table, off)[0]:.3f}")
    weights, score = fit(table, grid)
    print(f"tuned, best on the grid ({len(grid)} combinations): MRR@10 {score:.3f} with {describe(weights)}")
    for codebase in sorted({q["codebase"] for q in table}):
        rest = [q for q in table if q["codebase"] != codebase]
        alone = [q for q in table if q["codebase"] == codebase]
        fitted, _ = fit(rest, grid)
        print(f"  fit without {codebase}: on {codebase} MRR@10 {mrr(alone, off)[0]:.3f} -> "
              f"{mrr(alone, fitted[None, :])[0]:.3f} ({describe(fitted)})")
    shipped = Tuning().rerank
    print(f"shipped weights: {asdict(shipped)}; tuned MRR@10 "
          f"{mrr(table, np.array([[getattr(shipped, n) for n in FEATURES]]))[0]:.3f}")
    if args.heldout:
        searcher = CachedSearcher(workspace)
        for split in ("tuned", "heldout"):
            result = evaluate(workspace, split, ("hybrid",), searcher)["hybrid"]
            print(f"{split}: fused MRR@10 {result['mrr10']:.3f}, R@5 {result['recall5']:.2f}")
        cache_file.write_bytes(pickle.dumps(_VECTOR_CACHE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
