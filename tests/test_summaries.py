"""The cloud's summary format and the text that gets embedded."""

from __future__ import annotations

from pharos_desktop.engine.index.chunks import Chunk
from pharos_desktop.engine.summaries import embedding_text, summarize


def symbol_chunk(**extra) -> Chunk:
    fields = dict(path="auth/service.py", language="python", kind="function", symbol="authenticate_user",
                  start_line=10, end_line=20, code="def authenticate_user(username, password):\n    ...",
                  signature="def authenticate_user(username: str, password: str) -> User:",
                  docstring="Authenticate a user with credentials.", deps=["query", "User", "verify_password"])
    fields.update(extra)
    return Chunk(**fields)


def test_summary_matches_the_cloud_format_exactly() -> None:
    assert summarize(symbol_chunk()) == (
        "[python] def authenticate_user(username: str, password: str) -> User:\n"
        '    """Authenticate a user with credentials."""\n'
        "    deps: [query, User, verify_password]"
    )


def test_summary_omits_missing_docstring_and_deps() -> None:
    assert summarize(symbol_chunk(docstring="", deps=[])) == \
        "[python] def authenticate_user(username: str, password: str) -> User:"
    assert summarize(symbol_chunk(docstring="")).count("\n") == 1


def test_summary_cuts_docstring_and_deps() -> None:
    summary = summarize(symbol_chunk(docstring="x" * 2000, deps=[f"d{n}" for n in range(30)]))
    doc_line, deps_line = summary.splitlines()[1:]
    assert doc_line == '    """' + "x" * 512 + '"""'
    assert deps_line == "    deps: [" + ", ".join(f"d{n}" for n in range(20)) + "]"


def test_summaries_of_other_chunks() -> None:
    base = dict(path="flask/app.py", language="python", start_line=1, end_line=12, code="import os")
    assert summarize(Chunk(kind="imports", symbol="<imports>", deps=["os"], **base)) == \
        "[python] imports of flask/app.py\n    deps: [os]"
    assert summarize(Chunk(kind="module", symbol="<module>", **base)) == \
        "[python] module code of flask/app.py (lines 1-12)"
    md = dict(base, path="README.md", language="markdown")
    assert summarize(Chunk(kind="section", symbol="Install > Linux", **md)) == "[markdown] section: Install > Linux"
    yml = dict(base, path="config.yaml", language="yaml", end_line=50)
    assert summarize(Chunk(kind="text", symbol="<lines 1-50>", **yml)) == "[yaml] lines 1-50 of config.yaml"
    assert summarize(symbol_chunk(signature="")).startswith("[python] authenticate_user\n")


def test_embedding_text() -> None:
    head = "authenticate user (auth service)\n"  # the symbol and its file as plain words come first
    chunk = symbol_chunk(code="x" * 5000)
    chunk.summary = summarize(chunk)
    assert embedding_text(chunk, include_code=False, max_chars=1000) == head + chunk.summary
    text = embedding_text(chunk, include_code=True, max_chars=1000)
    assert len(text) == 1000 and text.startswith(head + chunk.summary + "\n\nxxx")
    short = symbol_chunk(code="def f(): pass")
    short.summary = summarize(short)
    assert embedding_text(short, include_code=True, max_chars=1000) == head + short.summary + "\n\ndef f(): pass"
    assert embedding_text(short, include_code=True, max_chars=20) == head[:20]
    window = symbol_chunk(kind="text", symbol="<lines 1-50>", path="deploy/config.yaml")
    assert embedding_text(window, include_code=False, max_chars=1000).startswith(" (deploy config)\n")
