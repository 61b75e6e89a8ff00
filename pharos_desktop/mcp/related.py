"""find_related: what a file or a symbol is tied to, from the map of the code (engine/graph/related.py): the files
it imports and that import it, the symbols that use it and that it uses, each as path:line."""

from __future__ import annotations

from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from ..engine.graph.related import Place, related
from .answers import answer
from .reading import indexed_path
from .view import ServedIndex

MAX_EACH = 50  # places listed per kind; the counts say how many there are


class RelatedPlace(BaseModel):
    path: str
    line: int
    symbol: str = Field(default="", description="empty for an import (a whole file)")
    confidence: str = Field(default="", description="references: same file, imported file, unique in repository, "
                                                    "or ambiguous (one of several definitions of the name)")


class RelatedResult(BaseModel):
    repo: str
    path: str
    symbol: str = Field(description="the symbol asked about; empty for the whole file")
    imports: list[RelatedPlace] = Field(description="files it imports, at the line of the import")
    importers: list[RelatedPlace] = Field(description="files that import it, at their line of the import")
    callers: list[RelatedPlace] = Field(description="symbols that use it")
    callees: list[RelatedPlace] = Field(description="symbols it uses")
    counts: dict[str, int] = Field(description="how many of each there are (each list holds at most 50)")


def find_related(served: ServedIndex, repository: str, path: str, symbol: str | None) -> CallToolResult:
    catalog = served.workspace.catalog
    repo = catalog.get_repo(repository)
    found = related(catalog, repo, indexed_path(catalog, repo, path), symbol or None, served.ties.of(catalog, repo))
    groups = {"imports": found.imports, "importers": found.importers, "callers": found.callers,
              "callees": found.callees}
    subject = f"{found.path} {found.symbol}" if found.symbol else found.path
    lines = [f"{repo.name}:{subject}: " + ", ".join(f"{len(places)} {name}" for name, places in groups.items())]
    for name, places in groups.items():
        if places:
            lines.append(f"{name}:")
            lines += [f"  {_place(p)}" for p in places[:MAX_EACH]]
            if len(places) > MAX_EACH:
                lines.append(f"  and {len(places) - MAX_EACH} more")
    structured = {name: [RelatedPlace(path=p.path, line=p.line, symbol=p.symbol, confidence=p.confidence)
                         for p in places[:MAX_EACH]] for name, places in groups.items()}
    return answer("\n".join(lines), RelatedResult(repo=repo.name, path=found.path, symbol=found.symbol,
                                                  counts={name: len(places) for name, places in groups.items()},
                                                  **structured))


def _place(place: Place) -> str:
    where = f"{place.path}:{place.line}"
    if not place.symbol:
        return where
    return f"{where}  {place.symbol}" + (f"  ({place.confidence})" if place.confidence else "")
