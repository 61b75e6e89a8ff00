"""Names a chunk depends on: what it calls and which imported names it uses.

Both come from the tag query (``@call`` and ``@reference`` captures) and from the import nodes, so
no Python-side walk over the whole tree is needed: the only walks are over import statements.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from ..index.chunks import MAX_DEPS

_NOISE = frozenset({"self", "this", "super", "cls", "require", "require_relative", "source", "load",
                    "autoload", "import", "include", "new", "_", ".", "static", "parent"})
_IDENT_TYPES = ("identifier", "name", "constant", "package_identifier")
_STRING_TYPES = ("string", "string_literal", "interpreted_string_literal", "raw_string_literal",
                 "system_lib_string", "encapsed_string", "string_content", "string_fragment", "word")
_LAST_SEGMENT = re.compile(r"[\w$]+(?=(\.[A-Za-z]{1,4})?$)")


def imported_names(import_nodes: list[Node]) -> list[str]:
    """Names an import binds, in order: identifiers in the statement and the last segment of
    an imported path ("net/http" -> http, <stdio.h> -> stdio, './a/b.js' -> b)."""
    names: dict[str, None] = {}
    for node in import_nodes:
        stack = [node]
        while stack:
            current = stack.pop()
            kind = current.type
            if kind in _STRING_TYPES or kind.endswith("string"):
                raw = (current.text or b"").decode("utf-8", "replace").strip("\"'<>` ")
                if raw in _NOISE:
                    continue
                found = _LAST_SEGMENT.search(raw.rstrip("/"))
                if found:
                    names.setdefault(found.group(0), None)
                continue
            if current.child_count == 0:
                if kind.endswith(_IDENT_TYPES) or kind in _IDENT_TYPES:
                    text = (current.text or b"").decode("utf-8", "replace")
                    if text and text not in _NOISE:
                        names.setdefault(text, None)
                continue
            stack.extend(reversed(current.children))
    return list(names)


class DepsCollector:
    """Calls and imported-name uses, bucketed by the line they are on."""

    def __init__(self, calls: list[Node], references: list[Node], imported: set[str]) -> None:
        self.events: list[tuple[int, int, str]] = []  # (row, byte, name)
        for node in calls:
            name = _text(node)
            if name and name not in _NOISE:
                self.events.append((node.start_point.row, node.start_byte, name))
        if imported:
            for node in references:
                name = _text(node)
                if name in imported:
                    self.events.append((node.start_point.row, node.start_byte, name))
        self.events.sort(key=lambda e: e[1])

    def assign(self, owner_of_row) -> dict[object, list[str]]:
        """owner -> deps (in order of first use, unique, at most MAX_DEPS); owner_of_row(row) -> key."""
        out: dict[object, dict[str, None]] = {}
        for row, _byte, name in self.events:
            owner = owner_of_row(row)
            if owner is None:
                continue
            bucket = out.setdefault(owner, {})
            if len(bucket) < MAX_DEPS:
                bucket.setdefault(name, None)
        return {owner: list(names) for owner, names in out.items()}


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")
