"""Browsing a file of the index (what the code view shows), after a real ingest: from the checkout while it
holds the indexed file, rebuilt from the chunks once the file changed or the checkout is gone; either way
each chunk's lines are the lines of its code."""

from __future__ import annotations

import shutil

import pytest

from pharos_desktop.engine.browse import browse_file, chunk_lines
from pharos_desktop.engine.errors import UsageError
from pharos_desktop.engine.ingest import Ingestor
from pharos_desktop.engine.parse import parse_file
from pharos_desktop.engine.run.task import Task

from .repo_factory import PYTHON_CORE, make_sample_repo

CORE = "pkg/core.py"


def assert_chunks_label_their_lines(file) -> None:
    """Each function's lines in the text are its code, the first one naming it; every line shown is the
    file's line at that number (rebuilt text leaves out what no chunk holds as it is, never misplaces it)."""
    lines, original = file.text.split("\n"), PYTHON_CORE.split("\n")
    functions = [chunk for chunk in file.chunks if chunk.kind in ("function", "method")]
    assert len(functions) >= 5
    for chunk in functions:
        assert chunk.symbol.rsplit(".", 1)[-1] in lines[chunk.start_line - 1]
        assert lines[chunk.start_line - 1:chunk.end_line] == chunk.code.split("\n")
    assert all(line == original[n] for n, line in enumerate(lines) if line), file.text


def test_a_file_from_its_checkout_then_rebuilt_from_its_chunks(workspace, tmp_path):
    sample = make_sample_repo(tmp_path / "sample")
    result = Ingestor(workspace).ingest(str(sample), task=Task("ingest"))
    catalog = workspace.catalog

    on_disk = browse_file(catalog, result.repo_id, CORE)
    assert on_disk.from_checkout and on_disk.text == PYTHON_CORE and on_disk.language == "python"
    assert {"load_config", "redact_secrets"} <= {chunk.symbol for chunk in on_disk.chunks}
    assert_chunks_label_their_lines(on_disk)

    # The file changed after the ingest: its chunks describe the indexed text, so that is what is shown.
    checkout = sample / CORE  # a folder ingests in place: the folder is the checkout
    checkout.write_text("# rewritten since\n" + PYTHON_CORE, encoding="utf-8")
    changed = browse_file(catalog, result.repo_id, CORE)
    assert not changed.from_checkout
    assert_chunks_label_their_lines(changed)
    assert [c.chunk_id for c in changed.chunks] == [c.chunk_id for c in on_disk.chunks]

    shutil.rmtree(sample)  # the checkout is gone
    rebuilt = browse_file(catalog, result.repo_id, CORE)
    assert not rebuilt.from_checkout
    assert_chunks_label_their_lines(rebuilt)
    assert "def redact_secrets(text):" in rebuilt.text.split("\n")

    skipped = browse_file(catalog, result.repo_id, ".env")  # skipped: no chunks, nothing on disk
    assert (skipped.text, skipped.chunks, skipped.from_checkout) == ("", [], False)


def test_an_unknown_repository_is_one_clear_line(workspace):
    with pytest.raises(UsageError, match="no ingested repository with id 'nope'"):
        browse_file(workspace.catalog, "nope", "a.py")


SPREAD = '''import os
import sys


def first():
    return os.sep


class Box:
    def size(self):
        return 1


from .late import thing  # noqa: E402
import json
'''


def test_a_chunk_gathered_from_rows_apart_marks_only_its_rows():
    """A file's imports, some at its top and some at its end, are one chunk spanning the whole file: marking its
    start..end would take in every function between, so only its own rows are marked."""
    lines = SPREAD.split("\n")
    chunks = parse_file("pkg/spread.py", SPREAD, "python")
    imports = next(c for c in chunks if c.kind == "imports")
    assert (imports.start_line, imports.end_line) == (1, 15)
    assert chunk_lines(imports, lines) == {1, 2, 14, 15}
    function = next(c for c in chunks if c.symbol == "first")
    assert chunk_lines(function, lines) is None, "a chunk whose lines run unbroken marks its whole range"
    outline = next(c for c in chunks if c.symbol == "Box")
    assert chunk_lines(outline, lines) is None, "a class stands for its members: its whole range"
    changed = [line.replace("json", "yaml") for line in lines]
    assert chunk_lines(imports, changed) is None, "rows no longer found in order: the whole range, as before"
