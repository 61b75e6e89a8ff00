"""What one file or one symbol is tied to: the files it imports and that import it, the symbols that use it
and that it uses. The map's side panel and the assistants' ``find_related`` both ask here.

A file alone: its callers are the symbols of other files that use one of its symbols, its callees the
symbols of other files that its symbols use. Each place carries the line to open (a symbol's first line,
an import's line in the importing file) and, for references, how sure the match is (engine/graph).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UsageError
from ..index.catalog import Catalog, RepoRecord
from ..index.chunks import SYMBOL_KINDS
from . import file_imports, references


@dataclass(frozen=True)
class Place:
    path: str
    line: int
    symbol: str = ""  # "" for a whole file (an import)
    confidence: str = ""  # references only: SAME_FILE, IMPORTED, UNIQUE or AMBIGUOUS


@dataclass
class Related:
    path: str
    symbol: str  # "" when asked about the whole file
    imports: list[Place] = field(default_factory=list)  # the files it imports, at the importing line
    importers: list[Place] = field(default_factory=list)  # the files that import it, at their import line
    callers: list[Place] = field(default_factory=list)  # the symbols that use it
    callees: list[Place] = field(default_factory=list)  # the symbols it uses


@dataclass
class RepoTies:
    """What every question about one repository's ties reads: its symbols' first lines, its resolved imports and
    its references. Seconds to make on a thousand files, so the map's child process keeps the last one made."""
    first_line: dict[tuple[str, str], int]
    resolved: list
    references: list


class KeptTies:
    """One repository's ties at a time, made again once its catalog row says it was ingested since: a file's
    ties, then its symbols' one after the other, cost one making. For one thread (each keeper has its own)."""

    def __init__(self) -> None:
        self._kept: tuple[tuple, RepoTies] | None = None

    def of(self, catalog: Catalog, repo: RepoRecord) -> RepoTies:
        now = catalog.find_repo(repo.repo_id)
        made_of = (repo.repo_id, now.ingested_at, now.commit, now.files, now.chunks, now.imports_version) if now else ()
        if self._kept is None or self._kept[0] != made_of:
            self._kept = None  # the last one's memory goes before the next is made
            self._kept = (made_of, repo_ties(catalog, repo))
        return self._kept[1]


def repo_ties(catalog: Catalog, repo: RepoRecord) -> RepoTies:
    first_line: dict[tuple[str, str], int] = {}
    for row_path, name, kind, line, _deps in catalog.symbols(repo.repo_id):
        if kind in SYMBOL_KINDS:
            first_line.setdefault((row_path, name), line)
    resolved = file_imports(catalog, repo)
    return RepoTies(first_line, resolved, references(catalog, repo, resolved))


def related(catalog: Catalog, repo: RepoRecord, path: str, symbol: str | None = None,
            ties: RepoTies | None = None) -> Related:
    """``path`` is a file the catalog indexed; ``symbol`` its full name (``Settings.get``) or its last part
    when only one symbol of the file ends so. UsageError, in one line, for a file or symbol it does not have.
    ``ties``: the repository's, made before (repo_ties); made here when not given."""
    record = catalog.file_state(repo.repo_id, path)
    if record is None or record.skip_reason:
        raise UsageError(f"{repo.name} has no indexed file {path!r}: give the path relative to the repository")
    ties = ties or repo_ties(catalog, repo)
    first_line = ties.first_line
    name = _symbol_named(path, symbol.strip(), [n for p, n in first_line if p == path], repo) if symbol else ""

    found = Related(path, name)
    for item in ties.resolved:
        if item.path == path:
            found.imports += [Place(target, item.imp.line) for target in item.targets]
        elif path in item.targets:
            found.importers.append(Place(item.path, item.imp.line))
    found.imports = list(dict.fromkeys(found.imports))
    found.importers = list(dict.fromkeys(found.importers))

    def mine(ref_path: str, ref_symbol: str) -> bool:
        return ref_path == path and (ref_symbol == name if name else True)

    callers: dict[Place, None] = {}
    callees: dict[Place, None] = {}
    for ref in ties.references:
        source, target = mine(ref.path, ref.symbol), mine(ref.target_path, ref.target_symbol)
        if source == target:
            continue  # outside it altogether, or within it (a file's symbols among themselves, a recursion)
        if target:
            callers[Place(ref.path, first_line.get((ref.path, ref.symbol), 1), ref.symbol, ref.confidence)] = None
        if source:
            callees[Place(ref.target_path, first_line.get((ref.target_path, ref.target_symbol), 1),
                          ref.target_symbol, ref.confidence)] = None
    found.callers, found.callees = list(callers), list(callees)
    return found


def _symbol_named(path: str, given: str, names: list[str], repo: RepoRecord) -> str:
    if given in names:
        return given
    ending = [n for n in names if n.endswith("." + given)]
    if len(ending) == 1:
        return ending[0]
    if ending:
        raise UsageError(f"{given!r} names several symbols in {path}: {', '.join(ending)}; give the full name")
    listed = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    raise UsageError(f"no symbol {given!r} in {path} in {repo.name}" + (f"; it has {listed}" if names else ""))
