"""Search quality on codebases nobody here wrote: MRR@10 and recall@5 of vector, keyword and fused search,
reported separately for the tuned codebases and the held-out ones (never used to choose anything), then
the command line's latency (bench/bench_search_cli.py: whole `pharos-desktop search` processes on an
index of 20,000+ chunks, p50 and p95).

    .venv/bin/python -m bench.search_eval                  (first run ingests 9,300 chunks: a few minutes)
    .venv/bin/python -m bench.search_eval --split heldout --latency-runs 0 --out bench/results/search_eval.json
    .venv/bin/python -m bench.search_eval --suite languages --split tuned --latency-runs 0   (ten more languages)

Questions: bench/search_eval_questions.json (Python, JavaScript, TypeScript) and bench/questions/*.json (the
ten languages of the ``languages`` suite, one table row each), written from reading the code (not from the
summaries the index embeds). Each answer is a file path plus a symbol; any part of a split symbol counts.
Codebases and the split: bench/search_corpora.py. The ingested data folder is cached (see there), keyed
by the chunker's and summariser's source, so changing only search code re-embeds nothing.

Other benchmarks call ``evaluate(workspace, split)`` on ``prepare_workspace()``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bench.search_corpora import SPLITS, SUITES, build_repo, cache_dir, corpus  # noqa: E402
from pharos_desktop.engine.model.embedder import bundled_model_path, cpu_graph_runtime  # noqa: E402
from pharos_desktop.engine.ingest import Ingestor  # noqa: E402
from pharos_desktop.engine.run.task import Task  # noqa: E402
from pharos_desktop.engine.query.search import MODES, SearchFilters, Searcher  # noqa: E402
from pharos_desktop.engine.settings import Settings  # noqa: E402
from pharos_desktop.engine.workspace import Workspace  # noqa: E402

QUESTIONS = Path(__file__).with_name("search_eval_questions.json")
LANGUAGE_QUESTIONS = Path(__file__).with_name("questions")
K = 10
RECALL_AT = 5
# What decides which files are read (files.py, secret_scan.py), their chunks and their embedded text; a
# change here means a fresh (re-embedded) index.
_CHUNKER_SOURCES = ("pharos_desktop/engine/parse", "pharos_desktop/engine/summaries.py",
                    "pharos_desktop/engine/index/words.py", "pharos_desktop/engine/index/chunks.py",
                    "pharos_desktop/engine/files/scan.py", "pharos_desktop/engine/files/secret_scan.py",
                    "pharos_desktop/resources/queries")


def load_questions(split: str = "all", suite: str = "python-js") -> list[dict]:
    splits = {c.name: c.split for c in SUITES[suite]}
    files = [QUESTIONS] if suite == "python-js" else sorted(LANGUAGE_QUESTIONS.glob("*.json"))
    questions = [q for file in files for q in json.loads(file.read_text())["questions"]]
    return [q for q in questions if split == "all" or splits[q["codebase"]] == split]


def chunker_fingerprint(settings: Settings) -> str:
    # The runtime that makes the vectors matters too: torch, ONNX and OpenVINO vectors differ slightly.
    runtime = settings.runtime
    if runtime == "auto":
        runtime = cpu_graph_runtime(settings.model if Path(settings.model).is_dir() else str(bundled_model_path()))
    digest = hashlib.sha1(f"{settings.model}|{settings.embed_code}|{runtime}".encode())
    for name in _CHUNKER_SOURCES:
        path = ROOT / name
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.is_file() and file.suffix in (".py", ".scm"):
                digest.update(file.read_bytes())
    return digest.hexdigest()[:10]


def prepare_workspace(home: Path | None = None, settings: Settings | None = None,
                      suite: str = "python-js") -> Workspace:
    """A data folder holding every corpus of the suite, ingested (incremental: a cached one is reused as is)."""
    settings = settings or Settings()
    prefix = "home" if suite == "python-js" else f"home-{suite}"
    home = home or cache_dir() / f"{prefix}-{chunker_fingerprint(settings)}"
    os.environ["PHAROS_HOME"] = str(home)
    workspace = Workspace(home, settings)
    known = set(workspace.catalog.repo_names().values())
    for c in SUITES[suite]:
        repo = build_repo(c, cache_dir() / "repos")
        if repo.name not in known or any(r.state != "ready" for r in workspace.catalog.list_repos()
                                         if r.name == repo.name):
            print(f"ingesting {repo.name} ...", file=sys.stderr, flush=True)
            Ingestor(workspace).ingest(str(repo), task=Task("ingest"))
    return workspace


def _corpus_repo_ids(workspace: Workspace, suite: str = "python-js") -> dict[str, str]:
    by_name = {name: repo_id for repo_id, name in workspace.catalog.repo_names().items()}
    return {c.name: repo_id for c in SUITES[suite] for name, repo_id in by_name.items()
            if name.rsplit("-", 1)[0] == c.name}


def is_answer(hit, expected: list[dict]) -> bool:
    return any(hit.path == e["path"] and (hit.symbol == e["symbol"] or hit.symbol.endswith(" > " + e["symbol"]))
               for e in expected)


def rank_of_answer(hits, expected: list[dict]) -> int | None:
    """1-based rank of the first hit that answers, within the top K."""
    for rank, hit in enumerate(hits[:K], start=1):
        if is_answer(hit, expected):
            return rank
    return None


def evaluate(workspace: Workspace, split: str = "heldout", modes: tuple[str, ...] = MODES,
             searcher: Searcher | None = None, details: bool = False, suite: str = "python-js",
             language: str | None = None) -> dict:
    """{"split", "questions", mode: {"mrr10", "recall5"}} over the split's questions ("tuned", "heldout", "all"),
    those of one language only where ``language`` is given."""
    searcher = searcher or Searcher(workspace)
    repo_ids = _corpus_repo_ids(workspace, suite)
    questions = [q for q in load_questions(split, suite)
                 if language is None or corpus(q["codebase"]).language == language]
    result: dict = {"split": split, "questions": len(questions)}
    if language:
        result["language"] = language
    for mode in modes:
        ranks = []
        for question in questions:
            filters = SearchFilters(repo_ids=[repo_ids[question["codebase"]]])
            hits = searcher.search(question["q"], limit=K, filters=filters, mode=mode)
            ranks.append(rank_of_answer(hits, question["expect"]))
        result[mode] = {"mrr10": round(sum(1 / r for r in ranks if r) / len(ranks), 3),
                        "recall5": round(sum(1 for r in ranks if r and r <= RECALL_AT) / len(ranks), 3)}
        if details:
            result[mode]["ranks"] = ranks
    return result


def print_table(results: list[dict]) -> None:
    order = [("vector", "vector"), ("keyword", "keyword"), ("hybrid", "fused")]
    print(f"{'split':<8} {'language':<9} {'n':>4}  "
          + "  ".join(f"{label + ' MRR@10':>14} {'R@5':>5}" for _, label in order))
    for r in results:
        cells = "  ".join(f"{r[m]['mrr10']:>14.3f} {r[m]['recall5']:>5.2f}" for m, _ in order if m in r)
        print(f"{r['split']:<8} {r.get('language', 'all'):<9} {r['questions']:>4}  {cells}")


def suite_results(workspace: Workspace, split: str, suite: str, details: bool = False) -> list[dict]:
    """The split's figures for every language of the suite, then all of them pooled."""
    searcher = Searcher(workspace)
    results = []
    if suite != "python-js":
        for language in dict.fromkeys(c.language for c in SUITES[suite]):
            results.append(evaluate(workspace, split, searcher=searcher, details=details, suite=suite,
                                    language=language))
    results.append(evaluate(workspace, split, searcher=searcher, details=details, suite=suite))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=(*SPLITS, "both"), default="both")
    parser.add_argument("--suite", choices=tuple(SUITES), default="python-js",
                        help="python-js: the first three languages; languages: the ten more (one row each)")
    parser.add_argument("--home", type=Path, help="data folder to use instead of the cached one")
    parser.add_argument("--misses", action="store_true", help="list the questions fused search misses")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--latency-runs", type=int, default=15,
                        help="command-line searches to time (0: skip; the first run builds a 20,000-chunk index)")
    args = parser.parse_args()
    workspace = prepare_workspace(args.home, suite=args.suite)
    splits = SPLITS if args.split == "both" else (args.split,)
    results = [r for split in splits for r in suite_results(workspace, split, args.suite, details=args.misses)]
    print_table(results)
    if args.misses:
        for r in results:
            if "language" in r or args.suite == "python-js":
                questions = [q for q in load_questions(r["split"], args.suite)
                             if "language" not in r or corpus(q["codebase"]).language == r["language"]]
                for question, rank in zip(questions, r["hybrid"]["ranks"]):
                    if rank != 1:
                        print(f"  [{r['split']}] rank {rank or '-'}: {question['codebase']}: {question['q']}")
    report: dict = {"quality": results}
    if args.latency_runs > 0:
        from bench import bench_search_cli

        report["cli_latency"] = bench_search_cli.measure(runs=args.latency_runs)
        bench_search_cli.print_report(report["cli_latency"], bench_search_cli.DEFAULT_HOME)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
