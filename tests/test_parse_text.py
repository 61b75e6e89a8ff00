"""Markdown sections and the 50/5 line windows of other text files."""

from __future__ import annotations

from pharos_desktop.engine.parse import parse_file

README = """\
Intro line above every heading.

# Pharos

Index your repositories locally.

## Install

### Linux

Run the AppImage.

```bash
# not a heading inside a fence
./pharos.AppImage
```

### macOS
Drag to Applications.

Usage
-----

pharos-desktop ingest URL
"""


def test_markdown_is_split_by_heading_path() -> None:
    chunks = parse_file("README.md", README, "markdown")
    found = [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks]
    assert found == [
        ("section", "<preamble>", 1, 1),
        ("section", "Pharos", 3, 5),
        ("section", "Pharos > Install > Linux", 9, 16),
        ("section", "Pharos > Install > macOS", 18, 19),
        ("section", "Pharos > Usage", 21, 24),
    ]
    linux = chunks[2]
    assert linux.code.startswith("### Linux\n\nRun the AppImage.") and "# not a heading" in linux.code
    assert linux.summary == "[markdown] section: Pharos > Install > Linux"


def test_long_markdown_section_parts_keep_the_heading() -> None:
    text = "# Title\n\n## Big\n\n" + "\n".join(f"Paragraph {n} " + "words " * 20 for n in range(40)) + "\n"
    parts = [c for c in parse_file("docs/big.md", text, "markdown", max_chars=600) if c.symbol == "Title > Big"]
    assert len(parts) > 3 and all(p.code.startswith("## Big\n") for p in parts)
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))


def test_text_files_are_windows_of_50_lines_with_5_overlap() -> None:
    text = "".join(f"key_{n}: value {n}\n" for n in range(1, 121))
    chunks = parse_file("deploy/config.yaml", text, "yaml", max_chars=100_000)
    assert [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks] == [
        ("text", "<lines 1-50>", 1, 50), ("text", "<lines 46-95>", 46, 95), ("text", "<lines 91-120>", 91, 120)]
    assert chunks[1].code.splitlines()[0] == "key_46: value 46"
    assert chunks[0].summary == "[yaml] lines 1-50 of deploy/config.yaml"


def test_short_text_kinds() -> None:
    for path, language in [("Dockerfile", "dockerfile"), ("schema.sql", "sql"), ("pyproject.toml", "toml"),
                           ("package.json", "json"), ("notes.txt", "text")]:
        chunks = parse_file(path, "line one\r\nline two\r\n", language)
        assert [(c.kind, c.symbol, c.code) for c in chunks] == [("text", "<lines 1-2>", "line one\nline two")]
    assert parse_file("empty.md", "\n\n", "markdown") == []


def test_a_single_huge_line_is_cut_into_parts() -> None:
    chunks = parse_file("data/blob.json", '{"k": "' + "v" * 5000 + '"}\n', "json", max_chars=1000)
    assert len(chunks) == 6 and all(len(c.code) <= 1000 for c in chunks)
    assert all((c.start_line, c.end_line, c.symbol) == (1, 1, "<lines 1-1>") for c in chunks)
    assert "".join(c.code for c in chunks) == '{"k": "' + "v" * 5000 + '"}'
