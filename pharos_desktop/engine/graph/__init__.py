"""The map of a repository: which files import which, and which symbols use which, from the catalog.

Public API:

- ``file_imports(catalog, repo)``: every import of every file, resolved (``ResolvedImport``).
- ``references(catalog, repo)``: what each symbol's deps name, with a confidence (``Reference``).
- ``build_graph(catalog, repo, level)``: nodes and edges at ``folder``, ``file`` or ``symbol`` level.

Nothing here is stored: the catalog keeps each file's imports as written and each chunk's deps, and a
graph is made from them when asked (a repository of 1,000 files takes well under a second), so that a
re-ingest rewrites only the rows of the files that changed.
"""

from __future__ import annotations

import posixpath
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..index.catalog import Catalog, RepoRecord
from ..index.chunks import SYMBOL_KINDS, Import
from .resolve import RESOLVED_LANGUAGES, Resolver, build_settings, defined_names, is_build_file

LEVELS = ("folder", "file", "symbol")
SAME_FILE, IMPORTED, UNIQUE, AMBIGUOUS = "same file", "imported file", "unique in repository", "ambiguous"
MAX_CANDIDATES = 5  # an ambiguous name links to at most this many definitions of it
_BUILD_FILE_LIMIT = 1 << 20  # bytes: a go.mod, tsconfig.json or Package.swift larger is not read


@dataclass
class ResolvedImport:
    path: str
    language: str
    imp: Import
    targets: list[str]


@dataclass
class Reference:
    path: str
    symbol: str
    name: str  # as the deps hold it
    target_path: str
    target_symbol: str
    confidence: str  # SAME_FILE, IMPORTED, UNIQUE or AMBIGUOUS


@dataclass
class GraphNode:
    id: str
    kind: str  # folder | file | symbol
    label: str
    folder: str  # "" for the repository's root
    language: str = ""
    chunks: int = 0
    path: str = ""
    line: int = 0


@dataclass
class GraphEdge:
    source: str
    target: str
    kind: str  # imports | references
    weight: int = 1
    confidence: str = ""


@dataclass
class Graph:
    repo: str
    level: str
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    imports: dict[str, dict[str, int]] = field(default_factory=dict)  # language -> total, resolved

    def to_dict(self) -> dict:
        return {"repo": self.repo, "level": self.level, "nodes": [asdict(n) for n in self.nodes],
                "edges": [asdict(e) for e in self.edges], "imports": self.imports}


def resolver_for(catalog: Catalog, repo: RepoRecord) -> tuple[Resolver, dict[str, str]]:
    """The repository's files made ready for resolving, and each indexed file's language."""
    files = catalog.files(repo.repo_id)
    languages = {f.path: f.language or "" for f in files if f.skip_reason is None}
    provides: dict[str, list[str]] = defaultdict(list)
    for path, imp in catalog.imports(repo.repo_id):
        if imp.kind == "provides":
            provides[imp.module].append(path)
    defines: dict[str, set[str]] = defaultdict(set)
    for path, symbol, kind, _line, _deps in catalog.symbols(repo.repo_id):
        if kind in SYMBOL_KINDS:
            defines[path] |= defined_names(symbol, languages.get(path, ""))
    paths = [f.path for f in files]
    build_files = _build_files(repo, paths)
    return Resolver(languages, provides, defines, *build_settings(build_files, paths)), languages


def _build_files(repo: RepoRecord, paths: list[str]) -> dict[str, str]:
    """path -> text of the files that say where a language's modules are (go.mod, tsconfig.json,
    Package.swift), read from the checkout: some are listed but not indexed. One gone since is left out."""
    found: dict[str, str] = {}
    for path in paths:
        if is_build_file(path) and repo.checkout_path:
            target = Path(repo.checkout_path) / path
            try:
                # a link may point out of the checkout, and no real build file is anywhere near a megabyte
                if target.is_symlink() or target.stat().st_size > _BUILD_FILE_LIMIT:
                    continue
                found[path] = target.read_text("utf-8", "replace")
            except OSError:
                continue
    return found


def file_imports(catalog: Catalog, repo: RepoRecord) -> list[ResolvedImport]:
    resolver, languages = resolver_for(catalog, repo)
    out: list[ResolvedImport] = []
    for path, imp in catalog.imports(repo.repo_id):
        if imp.kind != "provides" and path in languages:
            out.append(ResolvedImport(path, languages[path], imp, resolver.resolve(path, languages[path], imp)))
    return out


def references(catalog: Catalog, repo: RepoRecord, resolved: list[ResolvedImport] | None = None) -> list[Reference]:
    """Each symbol's deps matched to the symbols of the repository that they name, most certain first: one
    in the same file, then one in a file it imports, then the only one in the repository; a name defined
    in several places links to each (at most MAX_CANDIDATES), marked ambiguous. Names defined nowhere in
    the repository (the standard library, packages) make no reference."""
    resolved = file_imports(catalog, repo) if resolved is None else resolved
    imported: dict[str, set[str]] = defaultdict(set)
    for item in resolved:
        imported[item.path].update(item.targets)
    rows = [row for row in catalog.symbols(repo.repo_id) if row[2] in SYMBOL_KINDS]
    defined: dict[str, list[tuple[str, str]]] = defaultdict(list)  # last name -> (path, symbol)
    for path, symbol, _kind, _line, _deps in rows:
        entry = (path, symbol)
        bucket = defined[symbol.rsplit(".", 1)[-1]]
        if entry not in bucket:
            bucket.append(entry)
    out: list[Reference] = []
    seen: set[tuple[str, str, str]] = set()
    for path, symbol, _kind, _line, deps in rows:
        for name in deps:
            if (path, symbol, name) in seen:
                continue  # a later part of a split symbol
            seen.add((path, symbol, name))
            found = [d for d in defined.get(name, ()) if d != (path, symbol)]
            if not found:
                continue
            here = [d for d in found if d[0] == path]
            there = [d for d in found if d[0] in imported[path]]
            if here:
                picked, confidence = here[:1], SAME_FILE
            elif there:
                picked, confidence = there[:1], IMPORTED
            elif len(found) == 1:
                picked, confidence = found, UNIQUE
            else:
                picked, confidence = found[:MAX_CANDIDATES], AMBIGUOUS
            out.extend(Reference(path, symbol, name, p, s, confidence) for p, s in picked)
    return out


def build_graph(catalog: Catalog, repo: RepoRecord, level: str = "file") -> Graph:
    if level not in LEVELS:
        raise UsageError(f"no graph level {level!r}: use one of {', '.join(LEVELS)}")
    resolved = file_imports(catalog, repo)
    graph = Graph(repo.name, level, imports=_import_shares(resolved))
    files = {f.path: f for f in catalog.files(repo.repo_id, indexed_only=True)}
    if level == "symbol":
        _symbol_level(graph, catalog, repo, resolved)
        return graph
    pairs: Counter[tuple[str, str]] = Counter()
    for item in resolved:
        for target in item.targets:
            pairs[(item.path, target)] += 1
    if level == "file":
        for path, record in files.items():
            graph.nodes.append(GraphNode(path, "file", posixpath.basename(path), posixpath.dirname(path),
                                         record.language or "", record.chunk_count, path))
        graph.edges = [GraphEdge(s, t, "imports", n) for (s, t), n in sorted(pairs.items())]
        return graph
    folders: dict[str, list] = defaultdict(list)
    for path, record in files.items():
        folders[posixpath.dirname(path)].append(record)
    for folder, records in sorted(folders.items()):
        languages = Counter(r.language for r in records if r.language)
        graph.nodes.append(GraphNode(folder or ".", "folder", posixpath.basename(folder) or ".",
                                     posixpath.dirname(folder) if folder else "",
                                     languages.most_common(1)[0][0] if languages else "",
                                     sum(r.chunk_count for r in records), folder))
    between: Counter[tuple[str, str]] = Counter()
    for (source, target), n in pairs.items():
        a, b = posixpath.dirname(source) or ".", posixpath.dirname(target) or "."
        if a != b:
            between[(a, b)] += n
    graph.edges = [GraphEdge(s, t, "imports", n) for (s, t), n in sorted(between.items())]
    return graph


def _symbol_level(graph: Graph, catalog: Catalog, repo: RepoRecord, resolved: list[ResolvedImport]) -> None:
    seen: set[str] = set()
    for path, symbol, kind, line, _deps in catalog.symbols(repo.repo_id):
        node_id = f"{path}#{symbol}"
        if kind in SYMBOL_KINDS and node_id not in seen:
            seen.add(node_id)
            graph.nodes.append(GraphNode(node_id, "symbol", symbol, posixpath.dirname(path), "", 1, path, line))
    counts: Counter[tuple[str, str, str]] = Counter()
    for ref in references(catalog, repo, resolved):
        counts[(f"{ref.path}#{ref.symbol}", f"{ref.target_path}#{ref.target_symbol}", ref.confidence)] += 1
    graph.edges = [GraphEdge(s, t, "references", n, c) for (s, t, c), n in sorted(counts.items())]


def _import_shares(resolved: list[ResolvedImport]) -> dict[str, dict[str, int]]:
    """language -> how many imports its files make and how many of them name a file of the repository."""
    shares: dict[str, dict[str, int]] = {}
    for item in resolved:
        if item.language in RESOLVED_LANGUAGES:
            share = shares.setdefault(item.language, {"total": 0, "resolved": 0})
            share["total"] += 1
            share["resolved"] += bool(item.targets)
    return dict(sorted(shares.items()))
