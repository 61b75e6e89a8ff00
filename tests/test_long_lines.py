"""Files whose lines are machine-made (bundles, minified output): skipped with a reason, never a
flood of chunks; code that shares a line is chunked by its own columns."""

from __future__ import annotations

from pathlib import Path

from pharos_desktop.engine.files.scan import MACHINE_MADE, FileEntry, machine_made, read_text
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.parse import parse_file
from pharos_desktop.engine.pipeline import MAX_CHUNKS_PER_FILE, TOO_MANY_CHUNKS
from pharos_desktop.tools.sample_repos import add_commit

from .repo_factory import bundle, make_sample_repo


def test_functions_sharing_one_line_get_their_own_columns():
    text = bundle(4_000)  # under the machine-made bar: still parsed
    assert not machine_made(text)
    chunks = parse_file("web/app.bundle.js", text, "javascript", max_chars=1500)
    functions = {c.symbol: c for c in chunks if c.kind == "function"}
    assert len(functions) == text.count("function f")
    start = text.index("function f3(")
    assert functions["f3"].code == text[start:text.index("}", start) + 1]  # its own bytes, nothing around
    assert all(len(c.code) < 200 for c in chunks)  # before: every function carried the whole line
    assert sum(len(c.code) for c in chunks) <= len(text)


def test_machine_made_rules():
    assert machine_made(bundle(5_100))  # one line over 5,000 characters
    wrapped = "\n".join(bundle(200_000)[i:i + 480] for i in range(0, 200_000, 480))
    assert machine_made(wrapped)  # minifier output wrapped at 480 columns: low newline density
    prose = ("A paragraph written by hand, soft-wrapped by the editor so that it sits on one line. " * 20 + "\n\n") * 30
    assert not machine_made(prose)  # ~1,700-character paragraphs, as in long-form Markdown
    assert not machine_made("x = 1\n" * 50_000)


def test_read_text_reports_machine_made_with_its_hash(tmp_path: Path):
    path = tmp_path / "vendor.js"
    path.write_text(bundle(20_000))
    info = path.stat()
    text, reason, content_hash = read_text(FileEntry("vendor.js", path, info.st_size, info.st_mtime_ns), 1_000_000)
    assert (text, reason) == (None, MACHINE_MADE) and len(content_hash) == 40


def test_an_inline_source_map_does_not_make_readable_code_machine_made(tmp_path: Path):
    # Compilers (Babel, tsc) append the map as one base64 line of tens of KB to code a person can read:
    # the code is kept, the map's line is emptied so the line numbers still match the file.
    code = "".join(f"function step{n}(x) {{\n  return x + {n};\n}}\n" for n in range(40))
    source_map = "//# sourceMappingURL=data:application/json;charset=utf-8;base64," + "eyJ2ZXJzaW9uIjozfQ" * 3000
    path = tmp_path / "client.js"
    path.write_text(code + source_map + "\n")
    info = path.stat()
    text, reason, content_hash = read_text(FileEntry("client.js", path, info.st_size, info.st_mtime_ns), 1_000_000)
    assert reason is None and text == code + "\n"
    assert len(text.splitlines()) == len((code + source_map).splitlines())
    assert len(content_hash) == 40
    path.write_text(bundle(20_000) + "\n" + source_map + "\n")  # a map does not rescue a minified bundle
    text, reason, _ = read_text(FileEntry("client.js", path, info.st_size, info.st_mtime_ns), 1_000_000)
    assert (text, reason) == (None, MACHINE_MADE)


def test_ingest_with_a_937_kb_one_line_bundle_stays_bounded(workspace, tmp_path: Path):
    plain = make_sample_repo(tmp_path / "plain")
    baseline = Ingestor(workspace).ingest(str(plain), task=Task("ingest"))

    heavy = make_sample_repo(tmp_path / "heavy")
    many = "".join(f"def handler_{n}(event):\n    return {n}\n\n" for n in range(MAX_CHUNKS_PER_FILE + 10))
    add_commit(heavy, {"static/app.bundle.js": bundle(937_000), "pkg/handlers.py": many}, "add a bundle")
    assert len((heavy / "static/app.bundle.js").read_text()) >= 937_000
    result = Ingestor(workspace).ingest(str(heavy), task=Task("ingest"))

    skipped = {f.path: f.skip_reason for f in workspace.catalog.files(result.repo_id) if f.skip_reason}
    assert skipped["static/app.bundle.js"] == MACHINE_MADE
    assert skipped["pkg/handlers.py"] == TOO_MANY_CHUNKS
    assert result.skipped_reasons[MACHINE_MADE] == 1 and result.skipped_reasons[TOO_MANY_CHUNKS] == 1
    assert result.skipped == baseline.skipped + 2
    assert (result.files, result.chunks) == (baseline.files, baseline.chunks)
