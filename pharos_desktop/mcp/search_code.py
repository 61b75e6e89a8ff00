"""search_code: the command line's hybrid search (`pharos-desktop search --explain`), with the same relevance and
the same reasons, and the same JSON keys as `search --json --explain` for the structured result."""

from __future__ import annotations

from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from ..engine.catalog_repair import raise_if_emptied
from ..engine.query.hit_text import as_json, describe, explain, why
from ..engine.query.search import SearchFilters, Searcher
from .answers import answer, refusal
from .view import ServedIndex

DEFAULT_LIMIT = 10
MAX_LIMIT = 50


class Hit(BaseModel):
    repo: str
    path: str = Field(description="relative to the repository, for read_code and read_symbol")
    symbol: str
    kind: str
    language: str
    start_line: int
    end_line: int
    relevance: int = Field(description="0-100: how well the best hit matches on its own; the others in proportion")
    parts: int = Field(description="parts a long symbol was split into; the lines are the best part's")
    role: str = Field(description="test, example, vendored or docs; empty for ordinary code")
    score: float
    summary: str
    vector_rank: int | None
    keyword_rank: int | None
    similarity: float | None
    fused_rank: int | None
    rerank: dict[str, float]
    matched: dict[str, list[str]] = Field(description="field (name, doc, path, code) -> the query words found there")
    why: list[str]


class SearchResult(BaseModel):
    query: str
    hits: list[Hit]
    notes: list[str] = Field(default_factory=list, description="what the answer could not cover, and why")


def search_code(served: ServedIndex, query: str, repository: str | None, language: str | None,
                path_glob: str | None, kind: str | None, include_tests: bool, limit: int) -> CallToolResult:
    workspace = served.workspace
    catalog = workspace.catalog
    query = query.strip()
    if not query:
        return refusal("give a question or words to search for")
    if not catalog.repo_names():
        raise_if_emptied(workspace)  # a catalog that lost its repositories says so
        return refusal("no repository is indexed yet: ingest one with Pharos Desktop or `pharos-desktop ingest`")
    filters = SearchFilters([catalog.get_repo(repository).repo_id] if repository else None,
                            [language] if language else None, [kind] if kind else None, path_glob or None)
    searcher = Searcher(workspace)
    # Hiding tests happens after the search, as the window's filter does: ask for enough to fill the list.
    hits = searcher.search(query, limit=limit if include_tests else limit * 3, filters=filters)
    if not include_tests:
        hits = [hit for hit in hits if hit.role != "test"][:limit]
    notes = ([searcher.warning] if searcher.warning else []) + view_notes(served)
    lines = [f'{len(hits)} result{"" if len(hits) == 1 else "s"} for "{query}"']
    for hit in hits:
        lines.append(f"{hit.relevance:>3}  {hit.repo}:{hit.path}:{hit.start_line}-{hit.end_line}  {describe(hit)}")
        lines.append(f"     why: {why(hit)}")
        lines.append("     " + explain(hit))
        if hit.summary:
            lines.append("     " + hit.summary.splitlines()[0])
    lines += [f"note: {note}" for note in notes]
    return answer("\n".join(lines), SearchResult(query=query, hits=[Hit(**as_json(hit, True)) for hit in hits],
                                                 notes=notes))


def view_notes(served: ServedIndex) -> list[str]:
    """What an answer from the current view leaves out while another process writes the index."""
    names = served.workspace.catalog.repo_names()
    if served.partial:
        partial = ", ".join(names.get(repo_id, repo_id) for repo_id in served.partial)
        return [f"{partial} was being ingested when this server started: until that ends, answers cover what is "
                "stored so far, found by keyword only"]
    if served.workspace.writing:
        writing = ", ".join(names.get(repo_id, repo_id) for repo_id in served.workspace.writing)
        return [f"{writing} is being ingested or synced now: answers come from the index as it was before that "
                "began, and the new index is served once it ends"]
    return []
