"""read_code, read_symbol and outline: text and structure from the index, by the code view's rule (engine/browse.py:
the checkout's file while it is the one indexed, else the file rebuilt from its chunks).

The one rule for every path an assistant gives: it names a file the index holds for that repository, relative to
it, and not one the ingest skipped. So nothing outside the indexed repositories can be named (an absolute path,
``..``, a symlink: the scanner skips links, and the code view opens files without following one), and a file
skipped for a secret, or any other reason, is never returned.
"""

from __future__ import annotations

import re
from collections import Counter

from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from ..engine.browse import browse_file
from ..engine.index.catalog import Catalog, ChunkRecord, RepoRecord
from ..engine.index.chunks import SYMBOL_KINDS
from ..engine.errors import UsageError
from .answers import answer
from .view import ServedIndex

MAX_LINES = 400  # lines one read_code answer holds; the rest is asked for by range
MAX_MODULES = 15
MAX_FOLDERS = 30


def indexed_path(catalog: Catalog, repo: RepoRecord, path: str) -> str:
    """``path`` as the index names it, or UsageError saying why it names nothing Pharos returns."""
    given = path.strip().replace("\\", "/")
    if given.startswith(("/", "~")) or re.match(r"[A-Za-z]:", given):
        raise UsageError(f"{path!r} is not a path inside {repo.name}: give it relative to the repository, as "
                         "search_code and outline show it")
    parts = [part for part in given.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UsageError(f"{path!r} leaves the repository {repo.name}: paths stay inside the indexed repositories")
    clean = "/".join(parts)
    record = catalog.file_state(repo.repo_id, clean)
    if record is None:
        raise UsageError(f"{repo.name} has no indexed file {clean!r}: give the path relative to the repository, as "
                         "search_code and outline show it")
    if record.skip_reason:
        raise UsageError(f"{clean} in {repo.name} was not indexed ({record.skip_reason}), and Pharos never returns "
                         "a file it skipped")
    return clean


class Code(BaseModel):
    repo: str
    path: str
    language: str | None
    start_line: int
    end_line: int
    total_lines: int
    text: str = Field(description="the lines start_line..end_line, as the indexed commit has them")
    from_checkout: bool = Field(description="false: rebuilt from the index (the checkout changed or is gone)")


class Symbol(BaseModel):
    repo: str
    path: str
    symbol: str
    kind: str
    language: str
    start_line: int
    end_line: int
    signature: str
    summary: str
    text: str


class OutlineEntry(BaseModel):
    symbol: str
    kind: str
    start_line: int
    end_line: int
    signature: str


class Folder(BaseModel):
    path: str
    files: int
    languages: list[str]


class Module(BaseModel):
    path: str
    language: str
    symbols: int
    top_level: list[str]


class Outline(BaseModel):
    repo: str
    path: str | None = Field(description="the file outlined; none: the repository's folders and main modules")
    symbols: list[OutlineEntry] = Field(default_factory=list)
    folders: list[Folder] = Field(default_factory=list)
    modules: list[Module] = Field(default_factory=list)


def read_code(served: ServedIndex, repository: str, path: str, start_line: int | None,
              end_line: int | None) -> CallToolResult:
    catalog = served.workspace.catalog
    repo = catalog.get_repo(repository)
    browsed = browse_file(catalog, repo.repo_id, indexed_path(catalog, repo, path))
    lines = browsed.text.split("\n")
    start = start_line or 1
    if start < 1 or start > len(lines):
        raise UsageError(f"{browsed.path} has {len(lines)} lines: start_line must be from 1 to {len(lines)}")
    end = min(end_line or len(lines), len(lines))
    if end < start:
        raise UsageError(f"end_line ({end_line}) comes before start_line ({start})")
    shown_end = min(end, start + MAX_LINES - 1)
    header = f"{repo.name}:{browsed.path}:{start}-{shown_end} ({browsed.language or 'text'}, {len(lines)} lines)"
    if shown_end < end:
        header += f"; {MAX_LINES} lines at most an answer: ask for start_line={shown_end + 1} for the rest"
    body = numbered(lines, start, shown_end)
    return answer(header + "\n" + body, Code(repo=repo.name, path=browsed.path, language=browsed.language,
                                             start_line=start, end_line=shown_end, total_lines=len(lines),
                                             text="\n".join(lines[start - 1:shown_end]),
                                             from_checkout=browsed.from_checkout))


def read_symbol(served: ServedIndex, repository: str, path: str, symbol: str) -> CallToolResult:
    catalog = served.workspace.catalog
    repo = catalog.get_repo(repository)
    browsed = browse_file(catalog, repo.repo_id, indexed_path(catalog, repo, path))
    parts = matching(browsed.chunks, symbol.strip(), f"{browsed.path} in {repo.name}")
    first = parts[0]
    start, end = min(c.start_line for c in parts), max(c.end_line for c in parts)
    lines = browsed.text.split("\n")
    header = f"{repo.name}:{browsed.path}:{start}-{end}  {first.symbol} ({first.kind})"
    return answer(header + "\n" + numbered(lines, start, end),
                  Symbol(repo=repo.name, path=browsed.path, symbol=first.symbol, kind=first.kind,
                         language=first.language, start_line=start, end_line=end, signature=first.signature,
                         summary=first.summary, text="\n".join(lines[start - 1:end])))


def matching(chunks: list[ChunkRecord], symbol: str, where: str) -> list[ChunkRecord]:
    """The parts of the one symbol ``symbol`` names: its full name, or the last part of it (``get`` for
    ``Settings.get``, a heading for ``Install > Linux``) when only one symbol ends so."""
    found = [c for c in chunks if c.symbol == symbol]
    if not found:
        found = [c for c in chunks if c.symbol.endswith(("." + symbol, " > " + symbol))]
    names = list(dict.fromkeys(c.symbol for c in found))
    if len(names) > 1:
        raise UsageError(f"{symbol!r} names several symbols in {where}: {', '.join(names)}; give the full name")
    if not names:
        known = list(dict.fromkeys(c.symbol for c in chunks if not c.symbol.startswith("<")))
        listed = ", ".join(known[:20]) + (f" and {len(known) - 20} more" if len(known) > 20 else "")
        raise UsageError(f"no symbol {symbol!r} in {where}" + (f"; it has {listed}" if known else ""))
    return found


def outline(served: ServedIndex, repository: str, path: str | None) -> CallToolResult:
    catalog = served.workspace.catalog
    repo = catalog.get_repo(repository)
    if path:
        return _file_outline(catalog, repo, indexed_path(catalog, repo, path))
    return _repository_outline(catalog, repo)


def _file_outline(catalog: Catalog, repo: RepoRecord, path: str) -> CallToolResult:
    merged: dict[str, OutlineEntry] = {}
    for chunk in catalog.chunks_for_file(repo.repo_id, path):
        entry = merged.get(chunk.symbol)
        if entry is None:
            merged[chunk.symbol] = OutlineEntry(symbol=chunk.symbol, kind=chunk.kind, start_line=chunk.start_line,
                                                end_line=chunk.end_line, signature=chunk.signature)
        else:  # another part of a long symbol
            entry.start_line, entry.end_line = min(entry.start_line, chunk.start_line), max(entry.end_line,
                                                                                            chunk.end_line)
    entries = sorted(merged.values(), key=lambda e: (e.start_line, e.end_line))
    lines = [f"{repo.name}:{path}  {len(entries)} symbols"]
    for entry in entries:
        signature = entry.signature.splitlines()[0].strip() if entry.signature else ""
        lines.append(f"  {entry.start_line}-{entry.end_line}  {entry.kind}  {entry.symbol}"
                     + (f"  {signature}" if signature and signature != entry.symbol else ""))
    return answer("\n".join(lines), Outline(repo=repo.name, path=path, symbols=entries))


def _repository_outline(catalog: Catalog, repo: RepoRecord) -> CallToolResult:
    files = catalog.files(repo.repo_id, indexed_only=True)
    counts: Counter[str] = Counter()
    languages: dict[str, Counter[str]] = {}
    for record in files:
        folder = record.path.rpartition("/")[0]
        top = "/".join(folder.split("/")[:2]) + "/" if folder else "./"
        counts[top] += 1
        languages.setdefault(top, Counter())[record.language or "text"] += 1
    folders = [Folder(path=name, files=n, languages=[lang for lang, _ in languages[name].most_common()])
               for name, n in sorted(counts.items())[:MAX_FOLDERS]]
    symbols: dict[str, list[str]] = {}
    language_of: dict[str, str] = {}
    kinds = ",".join("?" * len(SYMBOL_KINDS))
    for row in catalog.read(f"SELECT path, symbol, language FROM chunks WHERE repo_id = ? AND kind IN ({kinds}) "
                            "ORDER BY path, ordinal", (repo.repo_id, *SYMBOL_KINDS)):
        names = symbols.setdefault(row["path"], [])
        if row["symbol"] not in names:
            names.append(row["symbol"])
        language_of[row["path"]] = row["language"]
    busiest = sorted(symbols, key=lambda p: (-len(symbols[p]), p))[:MAX_MODULES]
    modules = [Module(path=p, language=language_of[p], symbols=len(symbols[p]),
                      top_level=[s for s in symbols[p] if "." not in s][:8]) for p in busiest]
    lines = [f"{repo.name}: {len(files)} indexed files in {len(counts)} folders"]
    lines += [f"  {f.path}  {f.files} files ({', '.join(f.languages)})" for f in folders]
    if len(counts) > MAX_FOLDERS:
        lines.append(f"  and {len(counts) - MAX_FOLDERS} more folders")
    lines.append("main modules (most symbols):")
    lines += [f"  {m.path}  {m.language}, {m.symbols} symbols: {', '.join(m.top_level)}" for m in modules]
    return answer("\n".join(lines), Outline(repo=repo.name, path=None, folders=folders, modules=modules))


def numbered(lines: list[str], start: int, end: int) -> str:
    width = len(str(end))
    return "\n".join(f"{n:>{width}}  {lines[n - 1]}" for n in range(start, end + 1))
