"""`pharos-desktop search` as a user runs it, on a real ingested repository: relevance, why a hit
matched, `--explain` with both ranks, what the re-ranker added and the matched words, and bad limits
as usage errors."""

from __future__ import annotations

import json

import pytest

from .cli_support import cli
from .repo_factory import make_sample_repo


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-search")
    sample = make_sample_repo(root / "sample")
    done = cli("ingest", str(sample), "--json", home=root / "home")
    assert done.returncode == 0, done.stderr
    return root / "home"


def test_explain_shows_vector_rank_keyword_rank_and_matched_fields(home):
    found = cli("search", "mask passwords before a line is logged", "--limit", "3", "--explain", home=home)
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    first = lines[0].split()
    assert 0 < int(first[0]) <= 100 and ":pkg/core.py:" in first[1] and first[2] == "redact_secrets"
    assert lines[1].strip().startswith("why: ") and "doc" in lines[1] and "meaning" in lines[1]
    assert lines[2].strip().startswith("vector #1 (similarity 0.") and "keyword #" in lines[2]
    assert "matched " in lines[2] and "doc: mask password" in lines[2]
    assert " · fused #" in lines[2] and ", re-ranked: " in lines[2]  # the second pass says what it added


def test_json_explain_carries_the_same_facts(home):
    found = cli("search", "redact secrets", "--limit", "5", "--json", "--explain", home=home)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    top = hits[0]
    assert top["symbol"] == "redact_secrets" and top["parts"] == 1 and top["role"] == ""
    assert top["keyword_rank"] == 1 and isinstance(top["vector_rank"], int)
    assert isinstance(top["fused_rank"], int) and all(isinstance(v, float) for v in top["rerank"].values())
    assert top["matched"]["name"] == ["redact", "secret"] and top["why"][0] == "name"
    assert all(0 <= hit["relevance"] <= 100 for hit in hits)
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)
    plain = json.loads(cli("search", "redact secrets", "--json", home=home).stdout)
    assert "vector_rank" not in plain[0] and "rerank" not in plain[0] and plain[0]["why"] == top["why"]


def test_a_limit_below_one_is_a_usage_error(home):
    for limit in ("0", "-3", "many"):
        refused = cli("search", "config", "--limit", limit, home=home)
        assert refused.returncode == 2, limit
        assert "--limit" in refused.stderr and "Traceback" not in refused.stderr
