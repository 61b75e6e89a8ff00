"""Symbols found per language (tests/symbol_cases*.py): exact kinds, qualified names and lines, on real grammars."""

from __future__ import annotations

import pytest

from pharos_desktop.engine.parse import detect_language, parse_file

from .symbol_cases import CASES
from .symbol_cases_managed import MANAGED_CASES
from .symbol_cases_native import NATIVE_CASES

CONSTRUCT_CASES = {**NATIVE_CASES, **MANAGED_CASES}


@pytest.mark.parametrize("language", sorted(CASES))
def test_symbols_kinds_names_and_lines(language: str) -> None:
    path, source, expected = CASES[language]
    assert detect_language(path) == language
    chunks = parse_file(path, source, language)
    found = [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks if c.kind not in ("imports", "module")]
    assert found == expected
    assert all(c.summary.startswith(f"[{language}] ") for c in chunks)
    assert [c.start_line for c in chunks] == sorted(c.start_line for c in chunks)


@pytest.mark.parametrize("case", sorted(CONSTRUCT_CASES))
def test_each_definition_is_its_own_chunk_under_its_name(case: str) -> None:
    path, source, expected = CONSTRUCT_CASES[case]
    chunks = parse_file(path, source, detect_language(path))
    found = [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks if c.kind not in ("imports", "module")]
    assert found == expected
    # What the grammar was given may have macros and directives blanked out; chunks show the file itself.
    lines = source.split("\n")
    for chunk in chunks:
        if chunk.kind in ("function", "method", "module", "imports"):
            assert set(chunk.code.split("\n")) <= set(lines), chunk.symbol
