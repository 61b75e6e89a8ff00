"""What each search lever gives, on the tuned and the held-out codebases of bench/search_eval.py.

    .venv/bin/python -m bench.search_levers [--out bench/search_levers.md]

Each row changes one thing from the shipped defaults (search.Tuning and words.py) and reports
MRR@10 / recall@5 of fused search (vector and keyword alone for the default row). Choices are made
on the tuned columns only; the held-out columns are what a user can expect.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from dataclasses import replace
from pathlib import Path

from bench.search_eval import evaluate, prepare_workspace
from pharos_desktop.engine.index import keyword_index, words
from pharos_desktop.engine.query.rerank import RerankWeights
from pharos_desktop.engine.query.search import Searcher, Tuning

D = Tuning()
_VECTOR_CACHE: dict = {}


class CachedSearcher(Searcher):
    """The vector ranking of a question does not depend on the levers: compute it once per run."""

    def _vector_ranking(self, query, depth, filters):
        key = (query, depth, repr(filters), self.tuning.vector_query)
        if key not in _VECTOR_CACHE:
            _VECTOR_CACHE[key] = super()._vector_ranking(query, depth, filters)
        return _VECTOR_CACHE[key]


def _weights(**changes: float) -> dict[str, float]:
    return {**D.field_weights, **changes}


LEVERS: list[tuple[str, Tuning]] = [
    ("defaults", D),
    ("no re-ranking (the first stage alone)", replace(D, rerank=RerankWeights())),
    ("re-ranker's word shares not weighted by rarity, code 0.2 (the defaults before stop 19)",
     replace(D, rare_words=False, rerank=replace(D.rerank, code=0.2))),
    ("re-ranker's word shares not weighted by rarity", replace(D, rare_words=False)),
    ("vector query as typed (the default before stop 18)", replace(D, vector_query="raw")),
    ("vector query as typed, no re-ranking", replace(D, vector_query="raw", rerank=RerankWeights())),
    ("rank fusion (RRF k 30) instead of score fusion", replace(D, fusion="rrf")),
    ("RRF, keyword weight 0.5 (the old defaults' fusion)", replace(D, fusion="rrf", keyword_weight=0.5)),
    ("keyword weight 0.5", replace(D, keyword_weight=0.5)),
    ("keyword weight 1.0", replace(D, keyword_weight=1.0)),
    ("keyword weight 1.5", replace(D, keyword_weight=1.5)),
    ("min-max scaling (the defaults before stop 17)", replace(D, scaling="minmax")),
    ("min-max scaling, depth 50 (both defaults before stop 17)", replace(D, scaling="minmax", depth=50)),
    ("depth 20", replace(D, depth=20)),
    ("depth 50", replace(D, depth=50)),
    ("depth 150", replace(D, depth=150)),
    ("parts not merged", replace(D, merge_parts=False)),
    ("tests/examples not demoted", replace(D, role_penalty=1.0)),
    ("docs not demoted", replace(D, docs_penalty=1.0)),
    ("class not demoted when its member matches", replace(D, container_penalty=1.0)),
    ("constructors not demoted", replace(D, constructor_penalty=1.0)),
    ("prefix match", replace(D, prefix=True)),
    ("fields equal", replace(D, field_weights=dict.fromkeys(keyword_index.FIELDS, 1.0))),
    ("name weight 5", replace(D, field_weights=_weights(name=5.0))),
    ("name weight 20", replace(D, field_weights=_weights(name=20.0))),
    ("doc weight 3", replace(D, field_weights=_weights(doc=3.0))),
    ("code weight 1", replace(D, field_weights=_weights(code=1.0))),
    ("code weight 0.3 (the default before stop 18)", replace(D, field_weights=_weights(code=0.3))),
    ("code weight 0.1", replace(D, field_weights=_weights(code=0.1))),
    ("path weight 1", replace(D, field_weights=_weights(path=1.0))),
]


SPLITS = ["tuned", "heldout"]  # --tuned-only: choose first, without the held-out column in sight


def measure(workspace, tuning: Tuning, modes=("hybrid",)) -> dict:
    searcher = CachedSearcher(workspace, tuning)
    return {split: evaluate(workspace, split, modes, searcher) for split in SPLITS}


def row(label: str, result: dict, mode: str = "hybrid") -> str:
    t = result["tuned"][mode]
    h = result["heldout"][mode] if "heldout" in result else None
    held = f"{h['mrr10']:.3f} | {h['recall5']:.2f}" if h else "- | -"
    return f"| {label} | {t['mrr10']:.3f} | {t['recall5']:.2f} | {held} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--tuned-only", action="store_true", help="measure the tuned codebases only")
    args = parser.parse_args()
    if args.tuned_only:
        SPLITS.remove("heldout")
    workspace = prepare_workspace(args.home)
    cache_file = workspace.data_folder / "vector-rankings.pickle"  # queries embedded once per data folder
    if cache_file.is_file():
        _VECTOR_CACHE.update(pickle.loads(cache_file.read_bytes()))
    lines = ["| lever (fused unless named) | tuned MRR@10 | tuned R@5 | held-out MRR@10 | held-out R@5 |",
             "|---|---|---|---|---|"]
    base = measure(workspace, D, ("vector", "keyword", "hybrid"))
    lines += [row("defaults: vector only", base, "vector"), row("defaults: keyword only", base, "keyword")]
    for label, tuning in LEVERS:
        lines.append(row(label, base if tuning is D else measure(workspace, tuning)))
        print(lines[-1], flush=True)
    original_stem = words.stem
    try:
        words.stem = lambda word: word  # the tokenizer without stemming, index rebuilt to match
        words._run_tokens.cache_clear()
        workspace.catalog.rebuild_keyword_index()
        unstemmed = measure(workspace, D, ("keyword", "hybrid"))
        lines += [row("no stemming: keyword only", unstemmed, "keyword"), row("no stemming", unstemmed)]
    finally:
        words.stem = original_stem
        words._run_tokens.cache_clear()
        workspace.catalog.rebuild_keyword_index()
    cache_file.write_bytes(pickle.dumps(_VECTOR_CACHE))
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
