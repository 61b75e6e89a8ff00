"""Parsing: files -> chunks with summaries.

Public API (other modules code against exactly this):

- ``detect_language(path)``: source language, a text kind, or None (not indexed).
- ``parse_file(path, text, language, max_chars=1500)``: the file's chunks in file order, each with
  its summary. Thread-safe: parsers are per thread, queries compiled once per language.
- ``parse_source(...)``: the same, with the modules the file imports (``Import``, one parse for both);
  ``file_imports(text, language)``: only those.
- ``grammar_status()``: language -> None when its grammar and tag query load, else the error.
- ``SOURCE_LANGUAGES`` / ``TEXT_LANGUAGES``.

Chunk kinds and symbols:

==============  ====================================  ==========================================
kind            symbol                                from
==============  ====================================  ==========================================
function        ``load_config``, ``exports.x`` -> x    top-level functions, arrows bound to names,
                ``tests.it_works``                    functions in a Rust ``mod``
method          ``Flask.run``, ``Server.Start``        functions in classes, impls, receivers,
                ``URI.self.join``, ``Opt.default``     ``Foo::bar``, ``obj.m = function``, Ruby
                ``Timeout.companion.of``              class methods, Kotlin extensions and
                                                      companions, Swift computed properties
class, struct,  ``Outer.Inner``                        type definitions (code = outline, see
interface,                                            symbols.py); Go named types and Java enum
trait, enum                                           constants with a body are classes
module_symbol   ``Accounts``                           Ruby modules
imports         ``<imports>``                          top-level import/use/include/require lines
module          ``<module>``                           other top-level code, in windows
section         ``Install > Linux`` / ``<preamble>``   Markdown, reStructuredText, AsciiDoc headings
                ``Changes > Version 2.0``              (a changelog: one per release)
text            ``<lines 1-50>``                       50-line windows (5 overlap) of other text
==============  ====================================  ==========================================
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from ..index.chunks import Chunk, Import
from ..errors import GrammarMissing
from ..summaries import summarize
from .languages import SOURCE_LANGUAGES, TEXT_LANGUAGES, detect_language, grammar_status
from .symbols import file_imports as _file_imports
from .symbols import source_file
from .textchunks import document_chunks, window_chunks

__all__ = ["SOURCE_LANGUAGES", "TEXT_LANGUAGES", "ParsedFile", "detect_language", "file_imports", "grammar_status",
           "parse_file", "parse_source"]

log = logging.getLogger(__name__)


class ParsedFile(NamedTuple):
    chunks: list[Chunk]
    imports: list[Import]


def parse_file(path: str, text: str, language: str, max_chars: int = 1500) -> list[Chunk]:
    """Chunks of one file (path repo-relative with "/"), in file order, summaries filled."""
    return parse_source(path, text, language, max_chars).chunks


def file_imports(text: str, language: str) -> list[Import]:
    """The modules a source file imports, without chunking it; none for other files or on a parse failure."""
    text = _normalised(text)
    if language not in SOURCE_LANGUAGES or not text.strip():
        return []
    try:
        return _file_imports(text, language)
    except GrammarMissing:
        raise
    except (RecursionError, ValueError, UnicodeError, IndexError, AttributeError, TypeError) as exc:
        log.warning("reading the imports of a %s file failed (%s)", language, exc)
        return []


def _normalised(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[1:] if text.startswith("\ufeff") else text


def parse_source(path: str, text: str, language: str, max_chars: int = 1500) -> ParsedFile:
    """parse_file's chunks, and the modules a source file imports."""
    text = _normalised(text)
    if not text.strip():
        return ParsedFile([], [])
    max_chars = max(int(max_chars), 200)
    imports: list[Import] = []
    if language in SOURCE_LANGUAGES:
        try:
            chunks, imports = source_file(path, text, language, max_chars)
        except GrammarMissing:
            raise
        except (RecursionError, ValueError, UnicodeError, IndexError, AttributeError, TypeError) as exc:
            # A file that trips an unforeseen corner of a grammar still gets indexed, as windows.
            log.warning("symbol parsing failed for %s (%s); indexing it as plain windows", path, exc)
            chunks = window_chunks(path, text, language, max_chars)
            for chunk in chunks:
                chunk.kind = "module"
                chunk.symbol = "<module>"
    else:
        # Markdown, reStructuredText and AsciiDoc by section (a changelog by release); other text in windows.
        chunks = document_chunks(path, text, language, max_chars)
        if chunks is None:
            chunks = window_chunks(path, text, language, max_chars)
    for chunk in chunks:
        chunk.summary = summarize(chunk)
    return ParsedFile(chunks, imports)
