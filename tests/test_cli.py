"""The command line as a user runs it: a real process, real exit codes, stdout JSON, stderr progress."""

from __future__ import annotations

import json

from pharos_desktop.engine.model.embedder import QUERY_RUNTIME, bundled_model_path, cpu_graph_runtime

from .cli_support import cli
from .repo_factory import make_sample_repo

EXPECTED_INGEST_KEYS = {"repo", "repo_id", "source", "commit", "files", "chunks", "skipped", "embedded", "seconds",
                        "skipped_reasons"}
EXPECTED_HIT_KEYS = {"repo", "path", "symbol", "kind", "language", "start_line", "end_line", "score", "summary"}


def test_ingest_search_repos_export_round_trip(tmp_path):
    home = tmp_path / "home"
    sample = make_sample_repo(tmp_path / "sample")
    done = cli("ingest", sample.as_uri(), "--json", home=home)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert EXPECTED_INGEST_KEYS <= set(result)
    assert result["chunks"] > 0 and result["skipped_reasons"].get("secret", 0) >= 1
    assert "store" in done.stderr  # progress goes to stderr, never into the JSON

    found = cli("search", "secret handling", "--limit", "3", "--json", home=home)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert 0 < len(hits) <= 3 and EXPECTED_HIT_KEYS <= set(hits[0])
    assert hits == sorted(hits, key=lambda hit: -hit["score"])

    listed = json.loads(cli("repos", "--json", home=home).stdout)
    assert [r["repo_id"] for r in listed] == [result["repo_id"]]
    assert listed[0]["chunks"] == result["chunks"] and listed[0]["commit"] == result["commit"]

    exported = cli("export", result["repo"], "--jsonl", home=home)
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(rows) == result["chunks"] and len({row["id"] for row in rows}) == len(rows)
    assert all(row["summary"] in row["text"] for row in rows)  # the embedded text: words, summary, code

    other_home = cli("repos", "--json", home=tmp_path / "other-home")
    assert json.loads(other_home.stdout) == []


def test_errors_and_exit_codes(tmp_path):
    home = tmp_path / "home"
    missing = cli("ingest", str(tmp_path / "nowhere"), home=home)
    assert missing.returncode == 1
    assert len(missing.stderr.strip().splitlines()) == 1 and "Traceback" not in missing.stderr
    unsafe = cli("ingest", "ext::sh -c id", home=home)
    assert unsafe.returncode == 1 and "refusing" in unsafe.stderr.lower()
    assert cli("frobnicate", home=home).returncode == 2
    assert cli("export", "no-such-repo", home=home).returncode == 2
    assert cli("--version", home=home).stdout.startswith("pharos-desktop ")


def test_missing_model_is_a_clear_error(tmp_path):
    sample = make_sample_repo(tmp_path / "sample")
    failed = cli("ingest", str(sample), home=tmp_path / "home",
                 env={"PHAROS_MODEL": "nomic-ai/nomic-embed-text-v1", "HF_HOME": str(tmp_path / "empty-cache")})
    assert failed.returncode == 1
    assert "nomic-ai/nomic-embed-text-v1" in failed.stderr and "not available offline" in failed.stderr


def test_doctor_reports_machine(tmp_path):
    report = cli("doctor", "--json", home=tmp_path / "home")
    assert report.returncode == 0, report.stdout + report.stderr
    data = json.loads(report.stdout)
    assert data["device"] == "cpu" and data["dim"] == 384
    cpu_runtime = cpu_graph_runtime(str(bundled_model_path()))  # OpenVINO's or ONNX's, by this CPU
    assert data["runtime"] == cpu_runtime and data["runtime_setting"] == "auto"
    assert data["query_runtime"] in (cpu_runtime, QUERY_RUNTIME)
    text = cli("doctor", home=tmp_path / "home")
    assert f"runtime      {cpu_runtime} (setting: auto)" in text.stdout
    assert not any(data["grammars"].values()) and len(data["grammars"]) >= 18
    assert data["data_folder"] == str((tmp_path / "home").resolve())


def test_the_stores_one_time_notices_reach_the_terminal_once(pharos_home, capsys):
    """A store's warning (a move or rebuild after an update, minutes on a large index) shows on stderr, so a
    terminal says why a command waits; running commands again in one process does not repeat it."""
    import logging

    from pharos_desktop import cli as command_line

    assert command_line.main(["repos"]) == 0
    assert command_line.main(["repos"]) == 0
    capsys.readouterr()
    logging.getLogger("pharos_desktop.engine.index.vectors").warning("vector store: moving the 3 vectors of m")
    logging.getLogger("pharos_desktop.engine.workspace").warning("not a store notice")
    assert capsys.readouterr().err == "vector store: moving the 3 vectors of m\n"
