"""The scanner against hostile or careless repositories: odd names, symlinked folders, .gitattributes,
credential files. Real git repositories and plain folders on disk."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pharos_desktop.engine.files.scan import read_text, scan_files
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.settings import Settings
from pharos_desktop.tools.sample_repos import commit_all, init_repo

pytestmark = pytest.mark.usefixtures("hermetic_git")  # shared fixture: tests/conftest.py

BAD_NAME = os.fsdecode(b"\xff.py")  # not UTF-8: surrogate-escaped by Python, raw bytes on disk


def scan(root: Path):
    return scan_files(root, Settings(), task=Task("ingest", job_id="job"))


def write(root: Path, rel: str, content: str = "def f():\n    return 1\n") -> Path:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content, encoding="utf-8")
    return target


@pytest.mark.parametrize("as_repository", [True, False], ids=["git repository", "plain folder"])
def test_a_name_that_is_not_utf8_is_skipped_and_the_rest_is_read(tmp_path, as_repository):
    root = tmp_path / "project"
    if as_repository:
        init_repo(root)
    write(root, "good.py")
    write(root, BAD_NAME)
    write(root, "pkg/" + BAD_NAME.replace(".py", ".env"))
    if as_repository:
        commit_all(root, "files")
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
        assert b"\xff.py" in listed.split(b"\0")  # git really holds the odd name
    result = scan(root)
    assert [entry.path for entry in result.files] == ["good.py"]
    assert dict(result.skipped) == {"\\xff.py": "unreadable name", "pkg/\\xff.env": "unreadable name"}
    for path, _ in result.skipped:
        path.encode("utf-8")  # storable and printable as it is


def test_a_symlinked_folder_inside_the_repository_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside, "leak.py", "def stolen():\n    return 'not yours'\n")
    root = tmp_path / "project"
    init_repo(root)
    write(root, "keep.py")
    write(root, "d/leak.py", "def mine():\n    return 1\n")
    commit_all(root, "files")
    # git still lists d/leak.py (it is in the index), but d now points outside the repository
    shutil.rmtree(root / "d")
    os.symlink(outside, root / "d")
    result = scan(root)
    assert [entry.path for entry in result.files] == ["keep.py"]
    assert dict(result.skipped) == {"d": "symlink"}


def test_a_read_never_leaves_the_root_even_if_a_folder_is_swapped_after_the_scan(tmp_path):
    outside = tmp_path / "outside"
    write(outside, "leak.py", "def stolen():\n    return 'not yours'\n")
    root = tmp_path / "project"
    write(root, "d/leak.py", "def mine():\n    return 1\n")
    [entry] = scan(root).files
    shutil.rmtree(root / "d")
    os.symlink(outside, root / "d")
    assert read_text(entry, 10_000) == (None, "symlink", "")
    (root / "d").unlink()
    write(root, "d/other.py")
    os.symlink(outside / "leak.py", root / "d" / "leak.py")  # the file itself swapped for a link
    assert read_text(entry, 10_000)[:2] == (None, "symlink")


@pytest.mark.parametrize("as_repository", [True, False], ids=["git repository", "plain folder"])
def test_gitattributes_linguist_marks(tmp_path, as_repository):
    root = tmp_path / "project"
    if as_repository:
        init_repo(root)
    write(root, ".gitattributes",
          "gen/** linguist-generated=true\n"
          "api/client.py linguist-generated\n"
          "third/** linguist-vendored\n"
          "third/ours.py -linguist-vendored\n"
          "gen/hand_written.py linguist-generated=false\n"
          "docs/*.py linguist-documentation\n")
    for rel in ("src/main.py", "gen/model.py", "gen/hand_written.py", "api/client.py", "third/lib.py",
                "third/ours.py", "docs/example.py"):
        write(root, rel)
    if as_repository:
        commit_all(root, "files")
    result = scan(root)
    assert {entry.path for entry in result.files} == {".gitattributes", "src/main.py", "gen/hand_written.py",
                                                     "third/ours.py", "docs/example.py"}
    assert dict(result.skipped) == {"gen/model.py": "generated", "api/client.py": "generated",
                                    "third/lib.py": "vendored"}


def test_credential_files_by_name(tmp_path):
    root = tmp_path / "project"
    cases = ["client_secret_1234-abcd.apps.googleusercontent.com.json", "gcloud/application_default_credentials.json",
             "k8s/secret.yaml", "k8s/db-secret.yaml", "infra/prod.tfvars", "infra/terraform.tfstate",
             "infra/main.auto.tfvars.json", ".npmrc", "home/.pypirc", ".git-credentials"]
    for rel in cases:
        write(root, rel, "token = 1\n")
    write(root, "k8s/secret_store.py")  # code about secrets is not a secret
    write(root, "k8s/deployment.yaml", "kind: Deployment\n")
    result = scan(root)
    assert {entry.path for entry in result.files} == {"k8s/secret_store.py", "k8s/deployment.yaml"}
    assert dict(result.skipped) == {rel: "secret" for rel in cases}


def test_ingest_of_a_hostile_local_repository_completes_and_reads_nothing_outside(workspace, tmp_path):
    from pharos_desktop.engine.ingest import Ingestor

    outside = tmp_path / "outside"
    write(outside, "leak.py", "def stolen_from_outside():\n    return 'not yours'\n")
    root = tmp_path / "project"
    init_repo(root)
    write(root, "app.py", "def main():\n    return 'ok'\n")
    write(root, BAD_NAME, "def odd_name():\n    return 1\n")
    write(root, "d/leak.py", "def mine():\n    return 1\n")
    write(root, ".gitattributes", "gen/* linguist-generated\n")
    write(root, "gen/schema.py", "def generated_schema():\n    return {}\n")
    commit_all(root, "files")
    shutil.rmtree(root / "d")
    os.symlink(outside, root / "d")

    result = Ingestor(workspace).ingest(str(root), task=Task("ingest"))
    records = {f.path: f.skip_reason for f in workspace.catalog.files(result.repo_id)}
    assert records == {"app.py": None, ".gitattributes": "unsupported type", "\\xff.py": "unreadable name",
                       "d": "symlink", "gen/schema.py": "generated"}
    stored = "\n".join(c.code for c in workspace.catalog.iter_chunks(result.repo_id))
    assert "def main" in stored and "stolen_from_outside" not in stored and "generated_schema" not in stored
