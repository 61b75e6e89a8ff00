"""list_repositories: what the index holds, repository by repository, and whether each one's index is current."""

from __future__ import annotations

import time

from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from ..engine.catalog_repair import raise_if_emptied
from ..engine.live.status import repo_status, settings_now
from ..engine.source.freshness import freshness
from .answers import answer
from .search_code import view_notes
from .view import ServedIndex


class Repository(BaseModel):
    name: str = Field(description="what the other tools take as repository")
    repo_id: str
    source: str = Field(description="the URL or folder it was ingested from")
    branch: str
    commit: str = Field(description="the commit the index was made from")
    files: int
    chunks: int
    skipped: int = Field(description="files left out (secrets, generated, too large, ...): never returned")
    languages: dict[str, int]
    state: str = Field(description="ready, ingesting, interrupted or failed")
    ingested_at: float | None
    index: str = Field(description="current (the checkout's HEAD is the indexed commit), stale or unknown")
    index_note: str
    checkout_head: str
    status: str = Field(description="what the index holds now, in the words `pharos-desktop repos` shows: "
                                    "'up to date with <commit>, checked 3 min ago', 'updating (12 files)', "
                                    "'behind by 2 commits', 'paused (...)', 'check failed: <reason>'")


class RepositoryList(BaseModel):
    repositories: list[Repository]
    notes: list[str] = Field(default_factory=list)


def list_repositories(served: ServedIndex) -> CallToolResult:
    workspace = served.workspace
    repos = workspace.catalog.list_repos()
    if not repos:
        raise_if_emptied(workspace)
    listed = []
    lines = [f"{len(repos)} repositor{'y' if len(repos) == 1 else 'ies'} indexed"] if repos else \
        ["no repository is indexed yet: ingest one with Pharos Desktop or `pharos-desktop ingest`"]
    settings = settings_now(workspace)
    for repo in repos:
        fresh = freshness(repo)
        status = repo_status(workspace, repo, settings)
        listed.append(Repository(name=repo.name, repo_id=repo.repo_id, source=repo.source, branch=repo.branch,
                                 commit=repo.commit, files=repo.files, chunks=repo.chunks, skipped=repo.skipped,
                                 languages=repo.languages, state=repo.state, ingested_at=repo.ingested_at,
                                 index=fresh.status, index_note=fresh.reason, checkout_head=fresh.head,
                                 status=status))
        at = f"{repo.branch or 'no branch'} @ {repo.commit[:10] or 'working tree'}"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(repo.ingested_at)) if repo.ingested_at else "never"
        languages = ", ".join(repo.languages) or "no code"
        lines.append(f"{repo.name}  {at}  {repo.files} files, {repo.chunks} chunks, {repo.skipped} skipped  "
                     f"{repo.state}, ingested {when}  index {fresh.describe()}")
        lines.append(f"    {status}")
        lines.append(f"    {languages}  from {repo.source}")
    notes = view_notes(served)
    lines += [f"note: {note}" for note in notes]
    return answer("\n".join(lines), RepositoryList(repositories=listed, notes=notes))
