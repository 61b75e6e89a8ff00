"""What `pharos-desktop search` prints for one request, as text: one place, so that a search run in the command's
own process and one answered by the resident search process (resident_server.py) print the same, byte for byte.

A request is a plain dict (resident.request; it crosses a socket as JSON): ``parse_request`` checks every field of
one that came from another process."""

from __future__ import annotations

import json

from . import MODES
from .hit_text import as_json, describe, explain, why
from .resident import request
from .search import SearchFilters, Searcher

MAX_LIMIT = 10_000  # hits one request may ask for (the command line takes any; the resident refuses more)
_LISTS = ("repos", "languages", "kinds")


def parse_request(value: object) -> dict:
    """``value`` as a request, every field of the right type and in range; else ValueError naming what is wrong."""
    if not isinstance(value, dict):
        raise ValueError("the search must be an object")
    unknown = set(value) - set(request(""))
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(map(str, unknown)))}")
    if not isinstance(value.get("query"), str):
        raise ValueError("query must be text")
    limit = value.get("limit", 10)
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:  # (bool is an int)
        raise ValueError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    for name in _LISTS:
        names = value.get(name)
        if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise ValueError(f"{name} must be a list of text")
    if value.get("path") is not None and not isinstance(value["path"], str):
        raise ValueError("path must be text")
    if value.get("mode", "hybrid") not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    for flag in ("explain", "json"):
        if not isinstance(value.get(flag, False), bool):
            raise ValueError(f"{flag} must be true or false")
    return request(**value)


def answer(searcher: Searcher, search: dict) -> tuple[str, str]:
    """(what goes to stdout, the searcher's warning or ""). Raises PharosError for a repository it does not know."""
    catalog = searcher.workspace.catalog
    repo_ids = [catalog.get_repo(name).repo_id for name in search["repos"]] if search["repos"] else None
    filters = SearchFilters(repo_ids, search["languages"], search["kinds"], search["path"])
    hits = searcher.search(search["query"], limit=search["limit"], filters=filters, mode=search["mode"])
    if search["json"]:
        # as cli.output.print_json writes it: ASCII, indented
        return json.dumps([as_json(hit, search["explain"]) for hit in hits], indent=2) + "\n", searcher.warning
    lines = [] if hits else ["no results"]
    for hit in hits:
        lines.append(f"{hit.relevance:>3}  {hit.repo}:{hit.path}:{hit.start_line}-{hit.end_line}  {describe(hit)}")
        lines.append(f"     why: {why(hit)}")
        if search["explain"]:
            lines.append("     " + explain(hit))
        if hit.summary:
            lines.append("     " + hit.summary.splitlines()[0])
    return "".join(line + "\n" for line in lines), searcher.warning
