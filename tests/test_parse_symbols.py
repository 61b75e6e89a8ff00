"""Symbols found per language (tests/symbol_cases*.py): exact kinds, qualified names and lines, on real grammars."""

from __future__ import annotations

import pytest

from pharos_desktop.engine.parse import detect_language, parse_file

from .symbol_cases import CASES


@pytest.mark.parametrize("language", sorted(CASES))
def test_symbols_kinds_names_and_lines(language: str) -> None:
    path, source, expected = CASES[language]
    assert detect_language(path) == language
    chunks = parse_file(path, source, language)
    found = [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks if c.kind not in ("imports", "module")]
    assert found == expected
    assert all(c.summary.startswith(f"[{language}] ") for c in chunks)
    assert [c.start_line for c in chunks] == sorted(c.start_line for c in chunks)
