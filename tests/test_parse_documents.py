"""Documents chunked as documents: reStructuredText and AsciiDoc by section heading, changelogs by
release, and window labels that name the lines a chunk really holds."""

from __future__ import annotations

from pharos_desktop.engine.parse import parse_file

QUICKSTART_RST = """\
==========
Quickstart
==========

Eager to get started? This page introduces Flask.

A Minimal Application
---------------------

A minimal application looks like this::

    from flask import Flask
    app = Flask(__name__)

    Not a title
    -----------

Routing
-------

Variable Rules
~~~~~~~~~~~~~~

Add variable sections to a URL with ``<variable_name>``.

HTTP Methods
~~~~~~~~~~~~

Use the ``methods`` argument.

Deploying
---------

See the deployment docs.
"""

CHANGES_RST = """\
Version 3.1.1
-------------

Unreleased

-   Fix signing key selection order when key rotation is enabled.

Version 3.1.0
-------------

Released 2024-11-13

Fixes
~~~~~

-   Drop support for Python 3.8.
-   ``-e path`` takes precedence over default ``.env`` and ``.flaskenv`` files.
"""

GUIDE_ADOC = """\
= User Guide
:toc:

Intro paragraph.

== Installation

Run the installer.

----
== not a heading inside a listing block
----

=== On Linux

Use the package.

== Usage

Call it.
"""

CHANGELOG_MD = """\
# Changelog

All notable changes.

## [1.7.9] - 2024-12-04

### Fixed

- fetch: fixed the adapter.

## [1.7.8] - 2024-11-25

### Added

- a feature.
"""


def sections(path: str, text: str, language: str = "text") -> list[tuple[str, int, int]]:
    chunks = parse_file(path, text, language, max_chars=100_000)
    assert all(c.kind == "section" for c in chunks)
    return [(c.symbol, c.start_line, c.end_line) for c in chunks]


def test_restructuredtext_is_chunked_by_section_with_the_heading_path() -> None:
    assert sections("docs/quickstart.rst", QUICKSTART_RST) == [
        ("Quickstart", 1, 5),
        ("Quickstart > A Minimal Application", 7, 16),
        ("Quickstart > Routing > Variable Rules", 21, 24),  # Routing has no text of its own: folded in
        ("Quickstart > Routing > HTTP Methods", 26, 29),
        ("Quickstart > Deploying", 31, 34)]
    first = parse_file("docs/quickstart.rst", QUICKSTART_RST, "text")[0]
    assert first.summary == "[text] section: Quickstart" and first.signature == "Quickstart"


def test_asciidoc_is_chunked_by_section_outside_listing_blocks() -> None:
    assert sections("guide.adoc", GUIDE_ADOC) == [
        ("User Guide", 1, 4), ("User Guide > Installation", 6, 12),
        ("User Guide > Installation > On Linux", 14, 16), ("User Guide > Usage", 18, 20)]


def test_a_changelog_is_chunked_by_release() -> None:
    assert sections("CHANGES.rst", CHANGES_RST) == [("Version 3.1.1", 1, 6), ("Version 3.1.0", 8, 17)]
    release = parse_file("CHANGES.rst", CHANGES_RST, "text")[1]
    assert "Fixes" in release.code and "Python 3.8" in release.code  # subsections stay in their release
    assert sections("CHANGELOG.md", CHANGELOG_MD, "markdown") == [
        ("Changelog", 1, 3), ("Changelog > [1.7.9] - 2024-12-04", 5, 9), ("Changelog > [1.7.8] - 2024-11-25", 11, 15)]
    # The same Markdown under another name is chunked per heading (empty release headings fold in).
    assert [s for s, _, _ in sections("docs/notes.md", CHANGELOG_MD, "markdown")][1:] == [
        "Changelog > [1.7.9] - 2024-12-04 > Fixed", "Changelog > [1.7.8] - 2024-11-25 > Added"]


def test_a_long_section_is_split_into_parts_that_repeat_the_heading() -> None:
    text = "Big Section\n===========\n\n" + "".join(f"Paragraph {n} says something useful.\n\n" for n in range(60))
    chunks = parse_file("docs/big.rst", text, "text", max_chars=400)
    assert len(chunks) > 3 and {c.symbol for c in chunks} == {"Big Section"}
    assert all(c.code.startswith("Big Section") for c in chunks)
    assert [c.part for c in chunks] == list(range(1, len(chunks) + 1))


def test_window_parts_are_labelled_with_their_own_lines() -> None:
    # Lines 46-95 form one window; over the budget it splits, and each part names only its lines.
    text = "".join(f"key_{n}: {'v' * (30 if n < 73 else 60)}\n" for n in range(1, 121))
    chunks = parse_file("deploy/config.yaml", text, "yaml", max_chars=1500)
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.symbol == f"<lines {chunk.start_line}-{chunk.end_line}>"
        assert chunk.code.splitlines()[0].startswith(f"key_{chunk.start_line}:")
        assert chunk.code.splitlines()[-1].startswith(f"key_{chunk.end_line}:")
