"""The symbols an evaluation question can name, and a check that a question file names only real ones.

    .venv/bin/python -m bench.search_symbols list CODEBASE [PATH_PREFIX]   (path, symbol, kind, lines)
    .venv/bin/python -m bench.search_symbols check QUESTIONS.json          (every expected answer exists; how
                                                                          many questions avoid its words)

It parses the codebase's files the way an ingest does (the same file rules and chunker) and shows
nothing of search: question writers see what exists, never how it ranks.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from bench.search_corpora import build_repo, cache_dir, corpus
from pharos_desktop.engine.parse import detect_language, parse_file

_NOT_ANSWERS = ("imports", "module", "text")  # stretches of a file, not something a question points at


def symbols(codebase: str) -> list[tuple[str, str, str, int, int]]:
    """(path, symbol, kind, first line, last line) of every nameable chunk, parts merged."""
    repo = build_repo(corpus(codebase), cache_dir() / "repos")
    seen: dict[tuple[str, str], tuple[str, str, str, int, int]] = {}
    for file in sorted(p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts):
        path = file.relative_to(repo).as_posix()
        language = detect_language(path)
        if language is None:
            continue
        for chunk in parse_file(path, file.read_text(errors="replace"), language):
            if chunk.kind in _NOT_ANSWERS:
                continue
            key = (path, chunk.symbol)
            start = seen[key][3] if key in seen else chunk.start_line
            seen[key] = (path, chunk.symbol, chunk.kind, start, chunk.end_line)
    return list(seen.values())


def words(text: str) -> set[str]:
    """Lowercase words of a question or an identifier: camelCase, snake_case, dots and :: split, plural s dropped."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return {w.removesuffix("s") for w in re.split(r"[^A-Za-z0-9]+", text.lower()) if len(w) >= 2}


def names_its_answer(question: dict) -> bool:
    """Whether the question uses a word of one of its answers' identifiers."""
    asked = words(question["q"])
    return any(words(expected["symbol"]) & asked for expected in question["expect"])


def check(questions_file: Path) -> int:
    questions = json.loads(questions_file.read_text())["questions"]
    known: dict[str, set[tuple[str, str]]] = {}
    bad = 0
    for question in questions:
        codebase = question["codebase"]
        if codebase not in known:
            known[codebase] = {(path, symbol) for path, symbol, *_ in symbols(codebase)}
        for expected in question["expect"]:
            if (expected["path"], expected["symbol"]) not in known[codebase]:
                bad += 1
                print(f"no such symbol: {codebase}: {expected['path']} {expected['symbol']!r} ({question['q']})")
    for codebase in known:
        asked = [q for q in questions if q["codebase"] == codebase]
        free = sum(not names_its_answer(q) for q in asked)
        print(f"{codebase}: {len(asked)} questions, {free} worded without a word of the answer's identifier")
    print(f"{len(questions)} questions, {bad} answers that name no symbol")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list")
    listing.add_argument("codebase")
    listing.add_argument("prefix", nargs="?", default="")
    checking = commands.add_parser("check")
    checking.add_argument("questions", type=Path)
    args = parser.parse_args()
    if args.command == "check":
        return check(args.questions)
    for path, symbol, kind, start, end in symbols(args.codebase):
        if path.startswith(args.prefix):
            print(f"{path}\t{symbol}\t{kind}\t{start}-{end}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
