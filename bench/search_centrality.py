"""An experiment of issue 27, not part of the search: a file's PageRank in its repository's import graph as a
feature of search, tried by re-ordering search's own hits here.

    nice .venv/bin/python -m bench.search_centrality [--suite python-js|languages] [--split tuned] [--depth 30]
        [--home DIR]

For each codebase of the split, the import graph of its files (bench/graph_imports.read_folder, as the map
resolves them) and networkx's PageRank over it (an import points at the file imported). Each question is
searched once (fused, ``--depth`` hits); then, for each weight w, the hits are ordered by
score x (1 + w x c), c the file's PageRank as a share of the repository's highest (0 to 1), and MRR@10 and R@5
computed on the first 10, per language and pooled. w = 0 is search as it is (its first 10 of --depth hits).
The held-out questions are spent (each was measured once): run it on the tuned split, and report it as tuned.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import networkx as nx

from bench.graph_imports import read_folder
from bench.search_corpora import SUITES, build_repo, cache_dir, corpus
from bench.search_eval import K, RECALL_AT, _corpus_repo_ids, is_answer, load_questions, prepare_workspace
from pharos_desktop.engine.parse import detect_language
from pharos_desktop.engine.query.search import SearchFilters, Searcher

WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.4)


def centrality(name: str) -> dict[str, float]:
    """path -> its PageRank as a share of the highest in the repository (a file no import names: the least)."""
    read = read_folder(build_repo(corpus(name), cache_dir() / "repos"))
    graph = nx.DiGraph()
    graph.add_nodes_from(read["paths"])
    resolver = read["resolver"]
    for path, found in read["imports"].items():
        language = detect_language(path)
        for imp in found:
            for target in resolver.resolve(path, language, imp):
                graph.add_edge(path, target)
    if graph.number_of_edges() == 0:
        return {}
    ranks = nx.pagerank(graph)
    top = max(ranks.values())
    return {path: value / top for path, value in ranks.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=tuple(SUITES), default="python-js")
    parser.add_argument("--split", default="tuned")
    parser.add_argument("--depth", type=int, default=30)
    parser.add_argument("--home", type=Path, help="an ingested data folder to use instead of the cached one")
    args = parser.parse_args()
    workspace = prepare_workspace(args.home, suite=args.suite)
    searcher = Searcher(workspace)
    repo_ids = _corpus_repo_ids(workspace, args.suite)
    questions = load_questions(args.split, args.suite)
    shares = {name: centrality(name) for name in sorted({q["codebase"] for q in questions})}
    ranks: dict[float, dict[str, list]] = {w: defaultdict(list) for w in WEIGHTS}
    for question in questions:
        hits = searcher.search(question["q"], limit=args.depth, mode="hybrid",
                               filters=SearchFilters(repo_ids=[repo_ids[question["codebase"]]]))
        share = shares[question["codebase"]]
        language = corpus(question["codebase"]).language
        for w in WEIGHTS:
            ordered = sorted(hits, key=lambda h: -h.score * (1 + w * share.get(h.path, 0.0))) if w else hits
            rank = next((n for n, hit in enumerate(ordered[:K], start=1) if is_answer(hit, question["expect"])), None)
            ranks[w][language].append(rank)
            ranks[w]["all"].append(rank)
    languages = sorted(ranks[0.0], key=lambda name: (name == "all", name))
    print(f"{args.suite}, {args.split}: {len(questions)} questions; MRR@10 / R@5 by weight of the centrality")
    print("| language | n | " + " | ".join(f"w = {w}" for w in WEIGHTS) + " |")
    print("|---|---|" + "---|" * len(WEIGHTS))
    for language in languages:
        cells = []
        for w in WEIGHTS:
            found = ranks[w][language]
            mrr = sum(1 / r for r in found if r) / len(found)
            recall = sum(1 for r in found if r and r <= RECALL_AT) / len(found)
            cells.append(f"{mrr:.3f} / {recall:.2f}")
        print(f"| {language} | {len(ranks[0.0][language])} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
