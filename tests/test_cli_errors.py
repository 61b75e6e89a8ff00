"""Careless input to the command line: one plain line on stderr and the right exit code, never a
traceback or "unexpected error". The real CLI, run as a process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pharos_desktop.engine.index.catalog import Catalog, RepoRecord

from .cli_support import cli


def assert_one_plain_line(done: subprocess.CompletedProcess, code: int, *words: str) -> None:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, done.stderr
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr
    assert all(word in lines[0] for word in words), lines[0]


def seed_catalog(home: Path, *repo_ids: str) -> None:
    """Repositories as an ingest leaves them in the catalog (nothing here needs their files)."""
    home.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(home / "catalog.sqlite")
    for n, repo_id in enumerate(repo_ids):
        catalog.upsert_repo(RepoRecord(repo_id, f"project{n}", f"/src/project{n}", "local", state="ready"))
    catalog.close()


def test_repo_names_are_matched_exactly_not_as_like_patterns(tmp_path):
    home = tmp_path / "home"
    seed_catalog(home, "abcd1234abcd1234", "ffff0000ffff0000")
    assert cli("export", "abcd", "--jsonl", home=home).returncode == 0  # an id prefix still works
    for pattern in ("%%%%", "abc_", "a%", "____________1234"):
        exported = cli("export", pattern, "--jsonl", home=home)
        assert_one_plain_line(exported, 2, "no ingested repository called")
        found = cli("search", "anything", "--mode", "keyword", "--repo", pattern, home=home)
        assert_one_plain_line(found, 2, "no ingested repository called")


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_search_limit_below_one_is_a_usage_error(tmp_path, limit):
    done = cli("search", "anything", "--limit", limit, home=tmp_path / "home")
    assert_one_plain_line(done, 2, "--limit", limit)


def test_pharos_home_that_is_a_file(tmp_path):
    a_file = tmp_path / "home"
    a_file.write_text("not a folder")
    assert_one_plain_line(cli("repos", home=a_file), 1, f"PHAROS_HOME={a_file}", "a file, not a folder")
    assert_one_plain_line(cli("repos", home=a_file / "below"), 1, f"PHAROS_HOME={a_file / 'below'}")


def test_pharos_home_that_cannot_be_written(tmp_path):
    home = tmp_path / "read-only"
    home.mkdir()
    if os.geteuid() == 0:
        # root writes through permission bits; the immutable flag stops even root
        if subprocess.run(["chattr", "+i", str(home)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i")
    else:
        home.chmod(0o555)
    try:
        done = cli("repos", home=home)
    finally:
        subprocess.run(["chattr", "-i", str(home)], capture_output=True)
        home.chmod(0o755)
    assert_one_plain_line(done, 1, f"PHAROS_HOME={home}", "cannot write there")


@pytest.mark.parametrize(("variable", "value"), [("PHAROS_BATCH_SIZE", "abc"), ("PHAROS_MAX_FILE_BYTES", "1e6")])
def test_malformed_setting_from_the_environment(tmp_path, variable, value):
    done = cli("repos", home=tmp_path / "home", env={variable: value})
    assert_one_plain_line(done, 1, variable, repr(value))


def test_malformed_settings_file(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.json").write_text('{"batch_size": "sixty-four"}', encoding="utf-8")
    assert_one_plain_line(cli("repos", home=home), 1, "batch_size", "whole number")
    (home / "settings.json").write_text('{"batch_size": 0}', encoding="utf-8")
    assert_one_plain_line(cli("repos", home=home), 1, "batch size must be at least 1")
