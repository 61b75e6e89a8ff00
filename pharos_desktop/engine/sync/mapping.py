"""Local index -> the bodies the Pharos cloud takes (one resource per indexed file, one chunk per chunk).

URL scheme (the resource's identity on the server, which is idempotent on it):

- hosted repositories (``repo.web_base`` set): the file's web page at the branch (else the commit),
  ``https://github.com/o/r/blob/<ref>/<quoted path>``, as weblinks.py builds it for each host, so a link
  in the cloud opens the file where it lives;
- any other repository (local folder, a host weblinks.py has no links for):
  ``https://pharos.local/repo/<repo_id>/<quoted path>``. ``pharos.local`` is not a real host: it is a
  stable, unique name that never leaks the local folder path (a privacy choice) and never collides with
  a hosted URL.

The path is percent-quoted (``/`` kept), which is a fixed point of the server's URL normalisation, so
what we send is what the listing returns.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote, urlsplit, urlunsplit

from ..index.catalog import ChunkRecord, FileRecord, RepoRecord
from ..index.chunks import cloud_node_type
from ..weblinks import blob_url

# Bump when the bodies change shape: every file is then published again on the next sync.
MAPPING_VERSION = 1
LOCAL_URL_BASE = "https://pharos.local/repo"
LANGUAGE_COLUMN = 16  # the server's language column; longer values fail the insert

_DISPLAY = {
    "javascript": "JavaScript", "typescript": "TypeScript", "tsx": "TSX", "jsx": "JSX", "csharp": "C#",
    "cpp": "C++", "php": "PHP", "html": "HTML", "css": "CSS", "json": "JSON", "yaml": "YAML", "toml": "TOML",
    "sql": "SQL", "markdown": "Markdown", "text": "Text",
}


def language_name(language: str | None) -> str:
    language = language or "text"
    return _DISPLAY.get(language, language[:1].upper() + language[1:])


def ref_of(repo: RepoRecord) -> str:
    """The git ref a published URL points at: the branch when known (stable across commits), else the commit."""
    return repo.branch or repo.commit or "HEAD"


def repo_url(repo: RepoRecord) -> str:
    """The repository's public URL for ``relation``; a local folder's path is never published."""
    if repo.web_base:
        return repo.web_base
    if repo.kind == "remote" and repo.source.startswith(("https://", "http://")):
        return repo.source
    return f"{LOCAL_URL_BASE}/{repo.repo_id}"


def web_link(repo: RepoRecord, path: str, start: int | None = None, end: int | None = None) -> str | None:
    """The file's page on its host at ``ref_of(repo)`` (at those lines); None when it is not hosted."""
    return blob_url(repo.web_base, ref_of(repo), path, start, end) if repo.web_base else None


def file_url(repo: RepoRecord, path: str) -> str:
    return web_link(repo, path) or f"{LOCAL_URL_BASE}/{repo.repo_id}/{quote(path, safe='/')}"


def normalize_url(url: str) -> str:
    """The parts of the server's URL normalisation that matter for matching: lower-case scheme and host, "/" path."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, parts.fragment))


def fingerprint(repo: RepoRecord, record: FileRecord, send_source: bool) -> str:
    """Everything that changes what we would send for this file, except the commit SHA.

    The commit alone is left out on purpose: a file whose bytes did not change between two commits is
    the same file, so pulling a repository does not re-publish every file (its ``coverage`` keeps the
    commit it was published from, which still holds those exact bytes). Chunks only change when the
    content hash does (the ingest re-parses only changed files), so hash + chunk count stand for them.
    """
    parts = [str(MAPPING_VERSION), file_url(repo, record.path), record.content_hash, str(record.chunk_count),
             record.language or "", "source" if send_source else "summary", repo_url(repo), ref_of(repo)]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def create_body(repo: RepoRecord, record: FileRecord) -> dict:
    """What POST /api/resources takes. No ``source``: the server then keys the row on ``url``."""
    name = record.path.rsplit("/", 1)[-1]
    return {
        "url": file_url(repo, record.path),
        "title": name,
        "description": f"{language_name(record.language)} source — {record.path}",
        "language": (record.language or "text")[:LANGUAGE_COLUMN],
        "type": "code_file",
    }


def update_body(repo: RepoRecord, record: FileRecord) -> dict:
    """The rest of the upstream worker's conventions, sent with PUT after the create."""
    language = record.language or "text"
    top = record.path.split("/", 1)[0] if "/" in record.path else repo.name
    return {
        "format": f"text/{language}",
        "identifier": record.path,
        "coverage": repo.commit,
        "subject": [language_name(language), top],
        "relation": [f"language:{language}", f"git:commit:{repo.commit}", f"git:url:{repo_url(repo)}"],
    }


def chunk_body(repo: RepoRecord, chunk: ChunkRecord, send_source: bool) -> dict:
    """POST /chunks body without ``resource_id``. Code fields ride in chunk_metadata (top-level extras are dropped)."""
    content = chunk.code if send_source else (chunk.summary or f"[{chunk.language}] {chunk.symbol}")
    return {
        "content": content,
        "chunk_index": chunk.ordinal,
        "chunk_metadata": {
            "language": chunk.language,
            "symbol_name": chunk.symbol,
            "ast_node_type": cloud_node_type(chunk.kind),
            "start_line": chunk.start_line,
            "end_line": chunk.end_line,
            "semantic_summary": chunk.summary,
            "github_uri": web_link(repo, chunk.path, chunk.start_line, chunk.end_line),
            "branch_reference": ref_of(repo),
            "dependencies": list(chunk.deps),
        },
    }
