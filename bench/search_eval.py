"""Search quality: MRR@10 of vector-only, keyword-only and fused search over a real codebase.

    .venv/bin/python -m bench.search_eval            (about a minute on 2 CPU cores)

The questions (bench/search_eval_requests.json) are about the installed `requests` package, which
nobody here wrote. The repository is ingested twice: with the embedded text being the summary only,
and the summary followed by the start of the code; the better one is the default (Settings.embed_code).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pharos_desktop.engine.cancel import CancelToken  # noqa: E402
from pharos_desktop.engine.events import ignore_events  # noqa: E402
from pharos_desktop.engine.ingest import Ingestor  # noqa: E402
from pharos_desktop.engine.search import MODES, Searcher  # noqa: E402
from pharos_desktop.engine.settings import Settings  # noqa: E402
from pharos_desktop.engine.workspace import Workspace  # noqa: E402
from tests.real_repos import make_package_repo  # noqa: E402

QUESTIONS = Path(__file__).with_name("search_eval_requests.json")
K = 10


def reciprocal_rank(symbols: list[str], expected: list[str]) -> float:
    for rank, symbol in enumerate(symbols[:K], start=1):
        if symbol in expected:
            return 1.0 / rank
    return 0.0


def evaluate(workspace: Workspace, questions: list[dict]) -> dict[str, float]:
    searcher = Searcher(workspace)
    scores = {}
    for mode in MODES:
        ranks = [reciprocal_rank([h.symbol for h in searcher.search(q["q"], limit=K, mode=mode)], q["expect"])
                 for q in questions]
        scores[mode] = sum(ranks) / len(ranks)
    return scores


def main() -> int:
    questions = json.loads(QUESTIONS.read_text())["questions"]
    results = {}
    with tempfile.TemporaryDirectory(prefix="pharos-eval-") as tmp:
        repo = make_package_repo(Path(tmp) / "requests-repo", "requests")
        for embed_code in (False, True):
            home = Path(tmp) / f"home-{embed_code}"
            os.environ["PHAROS_HOME"] = str(home)
            settings = Settings(embed_code=embed_code)
            workspace = Workspace(home, settings)
            result = Ingestor(workspace).ingest(str(repo), emit=ignore_events, cancel=CancelToken())
            label = "summary + code" if embed_code else "summary only"
            results[label] = evaluate(workspace, questions)
            results[label]["chunks"] = result.chunks
    print(f"MRR@{K} over {len(questions)} questions about `requests`")
    print(f"{'embedded text':<16} {'vector':>8} {'keyword':>8} {'hybrid':>8}")
    for label, scores in results.items():
        print(f"{label:<16} {scores['vector']:>8.3f} {scores['keyword']:>8.3f} {scores['hybrid']:>8.3f}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
