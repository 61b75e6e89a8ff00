"""The scanner on real git repositories and plain folders: what is read, what is skipped and why."""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.errors import Cancelled
from pharos_desktop.engine.run.events import FileSkipped, StageProgress
from pharos_desktop.engine.files.scan import FileEntry, git_blob_sha1, read_text, scan_files
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.settings import Settings
from pharos_desktop.tools.sample_repos import add_commit, init_repo

from .repo_factory import IGNORED, SAMPLE_KEPT, SAMPLE_SKIPPED, make_sample_repo

pytestmark = pytest.mark.usefixtures("hermetic_git")  # shared fixture: tests/conftest.py


def scan(root: Path, settings: Settings | None = None, events: list | None = None, cancel: CancelToken | None = None):
    sink = events if events is not None else []
    return scan_files(root, settings or Settings(), task=Task("ingest", sink.append, cancel or CancelToken(), "job"))


def kept(result) -> set[str]:
    return {entry.path for entry in result.files}


def write(root: Path, rel: str, content: str | bytes = "x = 1\n") -> Path:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return target


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return make_sample_repo(tmp_path / "sample")


def test_sample_repo_exact_kept_and_skipped(sample):
    events = []
    result = scan(sample, events=events)
    assert kept(result) == SAMPLE_KEPT
    assert dict(result.skipped) == SAMPLE_SKIPPED
    assert [e.path for e in result.files] == sorted(e.path for e in result.files)
    assert {(e.path, e.reason) for e in events if isinstance(e, FileSkipped)} == set(SAMPLE_SKIPPED.items())
    progress = [e for e in events if isinstance(e, StageProgress)]
    assert progress and all(e.stage == "scan" for e in progress)
    assert progress[-1].done == progress[-1].total
    for entry in result.files:
        info = entry.abs_path.lstat()
        assert (entry.size, entry.mtime_ns) == (info.st_size, info.st_mtime_ns)


def test_every_ignore_level_is_honoured(sample):
    # root .gitignore (plain, folder, anchored), pkg/.gitignore, pkg/sub/.gitignore, .git/info/exclude
    assert all((sample / rel).exists() for rel in IGNORED)
    result = scan(sample)
    reported = kept(result) | {path for path, _ in result.skipped}
    assert not reported & set(IGNORED)
    # the anchored /local_only.py pattern only applies at the root
    write(sample, "pkg/local_only.py")
    assert "pkg/local_only.py" in kept(scan(sample))


def test_untracked_kept_and_deleted_tracked_dropped(sample):
    write(sample, "pkg/new_module.py", "def fresh():\n    return 1\n")
    (sample / "pkg" / "util.py").unlink()  # deleted on disk, still in the index
    paths = kept(scan(sample))
    assert "pkg/new_module.py" in paths and "pkg/util.py" not in paths


def test_plain_folder_honours_gitignore_without_a_repository(sample, tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(sample, plain, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    assert not (plain / ".git").exists()
    result = scan(plain)
    # .git/info/exclude belonged to the repository, so what it hid shows up now; every .gitignore still counts
    assert kept(result) == SAMPLE_KEPT | {"private_notes.md", "pkg/core.py.bak"}
    assert dict(result.skipped) == SAMPLE_SKIPPED
    assert not (plain / ".git").exists()  # the scan wrote nothing into the folder


def test_subfolder_of_a_repository(sample):
    result = scan(sample / "pkg")
    assert kept(result) == {".gitignore", "__init__.py", "core.py", "util.py", "sub/.gitignore", "sub/deep.py"}
    assert dict(result.skipped) == {"core_link.py": "symlink", "migrations/": "excluded folder",
                                    "x_pb2.py": "generated"}


def test_folder_ignored_by_an_enclosing_repository_is_read_as_a_plain_folder(sample):
    # e.g. a project inside a dotfiles repository, or a .venv: git there would show nothing at all
    write(sample, "build_output/tool/.gitignore", "*.tmp\n")
    write(sample, "build_output/tool/main.py")
    write(sample, "build_output/tool/skip.tmp")
    assert kept(scan(sample / "build_output" / "tool")) == {".gitignore", "main.py"}


def test_unicode_names_round_trip(sample):
    result = scan(sample)
    by_path = {entry.path: entry for entry in result.files}
    for name in ("docs/naïve_café.py", "src/日本語.py"):
        text, reason, _ = read_text(by_path[name], 1_000_000)
        assert reason is None and text
    assert "挨拶" in read_text(by_path["src/日本語.py"], 1_000_000)[0]


def test_decomposed_names_are_reported_in_nfc(tmp_path):
    plain = tmp_path / "plain"
    nfd = unicodedata.normalize("NFD", "résumé.py")
    write(plain, nfd, "def resume():\n    pass\n")
    [entry] = scan(plain).files
    assert entry.path == unicodedata.normalize("NFC", "résumé.py") and entry.path != nfd
    assert read_text(entry, 1000)[0].startswith("def resume")  # abs_path still names the file on disk


def test_symlinks_are_never_followed(sample, tmp_path):
    outside = tmp_path / "outside"
    write(outside, "stolen.py", "def not_yours():\n    pass\n")
    os.symlink(outside, sample / "linked_dir")
    os.symlink(outside / "stolen.py", sample / "linked_file.py")
    os.symlink(tmp_path / "missing", sample / "dangling.py")
    result = scan(sample)
    skipped = dict(result.skipped)
    assert skipped["linked_dir"] == skipped["linked_file.py"] == skipped["dangling.py"] == "symlink"
    assert not any("stolen" in path for path in kept(result) | set(skipped))


def test_rules_at_any_depth(tmp_path):
    plain = tmp_path / "plain"
    cases = {
        "a/b/vendor/lib.go": ("a/b/vendor/", "excluded folder"),
        "x/__pycache__/m.cpython-311.pyc": ("x/__pycache__/", "excluded folder"),
        "web/.next/page.js": ("web/.next/", "excluded folder"),
        "rs/target/debug/main.rs": ("rs/target/", "excluded folder"),
        "deploy/.env.production": ("deploy/.env.production", "secret"),
        "home/.ssh/ID_ED25519.pub": ("home/.ssh/ID_ED25519.pub", "secret"),
        "certs/site.key": ("certs/site.key", "secret"),
        "android/release.keystore": ("android/release.keystore", "secret"),
        "gcp/service-account-prod.json": ("gcp/service-account-prod.json", "secret"),
        "cfg/credentials-staging.json": ("cfg/credentials-staging.json", "secret"),
        "cfg/secrets.yaml": ("cfg/secrets.yaml", "secret"),
        ".npmrc": (".npmrc", "secret"),
        "rust/Cargo.lock": ("rust/Cargo.lock", "lock file"),
        "go/go.sum": ("go/go.sum", "lock file"),
        "py/uv.lock": ("py/uv.lock", "lock file"),
        "css/site.min.css": ("css/site.min.css", "generated"),
        "api/service.pb.go": ("api/service.pb.go", "generated"),
        "api/service_pb2_grpc.py": ("api/service_pb2_grpc.py", "generated"),
        "ui/schema.generated.ts": ("ui/schema.generated.ts", "generated"),
        "ui/app.js.map": ("ui/app.js.map", "generated"),
    }
    for rel in cases:
        write(plain, rel)
    write(plain, "src/keep.py")
    write(plain, "src/rebuild.py")  # "build" is a folder rule, not a substring rule
    result = scan(plain)
    assert kept(result) == {"src/keep.py", "src/rebuild.py"}
    assert dict(result.skipped) == dict(cases.values())


def test_user_exclusions(sample):
    settings = Settings(extra_excludes=["*.ts", "docs/", "/README.md", "pkg/**/deep.py", "!pkg/core.py", "# note"])
    result = scan(sample, settings)
    user = {path for path, reason in result.skipped if reason == "user exclusion"}
    assert user == {"web/types.ts", "docs/naïve_café.py", "README.md", "pkg/sub/deep.py"}
    assert kept(result) == SAMPLE_KEPT - user
    write(sample, "pkg/README.md")  # anchored pattern: only the root README
    assert "pkg/README.md" in kept(scan(sample, settings))


def test_size_cap_from_settings(sample):
    result = scan(sample, Settings(max_file_bytes=600))
    too_large = {path for path, reason in result.skipped if reason == "too large"}
    assert "pkg/core.py" in too_large and "data/huge_table.py" in too_large
    assert all(entry.size <= 600 for entry in result.files)


def test_nested_repository_and_submodule_are_not_descended(sample, tmp_path):
    other = make_sample_repo(tmp_path / "other")
    nested = sample / "tools" / "nested"
    init_repo(nested)
    write(nested, "inner.py")
    subprocess.run(["git", "-c", "protocol.file.allow=always", "submodule", "add", "-q", other.as_uri(), "libs/other"],
                   cwd=sample, check=True, capture_output=True)
    result = scan(sample)
    skipped = dict(result.skipped)
    assert skipped["tools/nested"] == "submodule" and skipped["libs/other"] == "submodule"
    assert not any(path.startswith(("tools/", "libs/")) for path in kept(result))


def test_cancel_stops_the_scan(sample):
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        scan(sample, cancel=cancel)


def test_content_hash_equals_git_blob_id(sample):
    listed = subprocess.run(["git", "-c", "core.quotePath=false", "ls-files", "-s", "-z"], cwd=sample,
                            capture_output=True, check=True).stdout.decode("utf-8")
    blob_ids = {line.split("\t", 1)[1]: line.split()[1] for line in listed.split("\0") if line}
    result = scan(sample)
    for entry in result.files:
        _, _, content_hash = read_text(entry, 1_000_000)
        assert content_hash == blob_ids[entry.path], entry.path
    hashed = subprocess.run(["git", "hash-object", "pkg/core.py"], cwd=sample, capture_output=True, text=True)
    assert git_blob_sha1((sample / "pkg/core.py").read_bytes()) == hashed.stdout.strip()


def entry_for(path: Path) -> FileEntry:
    info = path.stat()
    return FileEntry(path.name, path, info.st_size, info.st_mtime_ns)


def test_read_text_decodings(tmp_path, sample):
    latin1 = read_text(entry_for(sample / "legacy/latin1_module.py"), 10_000)
    assert latin1[1] is None and "señal_de_vida" in latin1[0] and '"café"' in latin1[0]
    cp1252 = write(tmp_path, "quotes.py", b"# \x93smart quotes\x94 \x96 dash\nx = 1\n")
    assert read_text(entry_for(cp1252), 1000)[0].startswith("# \u201csmart quotes\u201d \u2013 dash")
    undefined_in_cp1252 = write(tmp_path, "odd.py", b"# \x81\x8d\xe9\n")
    assert read_text(entry_for(undefined_in_cp1252), 1000)[0] == "# \x81\x8d\xe9\n"
    bom = write(tmp_path, "bom.py", b"\xef\xbb\xbfdef f():\n    return '\xc3\xa9'\n")
    assert read_text(entry_for(bom), 1000)[0] == "def f():\n    return 'é'\n"
    assert read_text(entry_for(write(tmp_path, "empty.py", b"")), 1000) == ("", None, git_blob_sha1(b""))


def test_read_text_binary_size_and_vanished(sample, tmp_path):
    for rel in ("legacy/utf16_module.py", "assets/logo.png"):
        text, reason, content_hash = read_text(entry_for(sample / rel), 10_000)
        assert (text, reason) == (None, "binary") and content_hash == git_blob_sha1((sample / rel).read_bytes())
    late_nul = write(tmp_path, "late.py", b"x = 1\n" * 2000 + b"\0")  # NUL after the first 8 KB: text
    assert read_text(entry_for(late_nul), 100_000)[1] is None
    core = entry_for(sample / "pkg/core.py")
    assert read_text(core, core.size)[1] is None
    assert read_text(core, core.size - 1) == (None, "too large", "")
    (sample / "pkg/core.py").unlink()
    assert read_text(core, 100_000) == (None, "unreadable", "")


def test_scan_after_add_commit(sample):
    add_commit(sample, {"pkg/util.py": None, "pkg/added.py": "def added():\n    pass\n"}, "change")
    paths = kept(scan(sample))
    assert "pkg/added.py" in paths and "pkg/util.py" not in paths


def test_scan_of_a_fresh_clone_matches_the_working_tree(sample, tmp_path):
    from pharos_desktop.engine.source import open_source, parse_source

    checkout = open_source(parse_source(sample.as_uri()), None, tmp_path / "clones", task=Task("ingest", job_id="job"))
    result = scan(checkout.path)
    assert kept(result) == SAMPLE_KEPT and dict(result.skipped) == SAMPLE_SKIPPED
