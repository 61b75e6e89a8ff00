"""Quality through the tool: held-out questions (bench/search_eval_questions.json, written by readers who never ran a
search) asked through search_code score the same MRR@10 as through `pharos-desktop search`, question by question,
on a held-out codebase (bench/search_corpora.py) ingested for real."""

from __future__ import annotations

import json
from types import SimpleNamespace

import anyio
import pytest

from bench.search_corpora import build_repo, corpus
from bench.search_eval import K, load_questions, rank_of_answer

from .cli_support import cli
from .mcp_support import stdio_client

pytestmark = pytest.mark.slow

CODEBASE = "attrs"  # held out, small (13 files), and installed here as a dependency
QUESTIONS = 8


def mrr(ranks: list[int | None]) -> float:
    return sum(1 / rank for rank in ranks if rank) / len(ranks)


def test_held_out_questions_score_the_same_through_the_tool_as_through_the_command_line(tmp_path):
    assert corpus(CODEBASE).split == "heldout"
    questions = [q for q in load_questions("heldout") if q["codebase"] == CODEBASE][:QUESTIONS]
    repo = build_repo(corpus(CODEBASE), tmp_path / "repos")
    home = tmp_path / "home"
    assert cli("ingest", str(repo), home=home, timeout=900).returncode == 0

    by_cli = []
    for question in questions:
        done = cli("search", question["q"], "--repo", repo.name, "--limit", str(K), "--json", home=home)
        assert done.returncode == 0, done.stderr
        by_cli.append(json.loads(done.stdout))

    async def ask_the_tool():
        answers = []
        async with stdio_client(home) as client:
            for question in questions:
                found = await client.call_tool("search_code", {"query": question["q"], "repository": repo.name,
                                                               "limit": K})
                assert not found.is_error
                answers.append(found.structured_content["hits"])
        return answers

    by_tool = anyio.run(ask_the_tool)

    def ranks(answers):
        return [rank_of_answer([SimpleNamespace(**hit) for hit in hits], question["expect"])
                for hits, question in zip(answers, questions)]

    assert [[(h["path"], h["symbol"], h["relevance"]) for h in hits] for hits in by_tool] == \
           [[(h["path"], h["symbol"], h["relevance"]) for h in hits] for hits in by_cli]
    assert mrr(ranks(by_tool)) == mrr(ranks(by_cli)) > 0.3, (ranks(by_tool), ranks(by_cli))
