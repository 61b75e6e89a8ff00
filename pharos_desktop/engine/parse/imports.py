"""What a file imports, from the import query (resources/queries/imports/<language>.scm).

One ``Import`` per imported module, as written: which file it names is decided later, against the
repository's files (engine/graph/resolve.py). Only the text of a statement is read here; the few
shapes a capture cannot spell (a Rust use tree, a Scala path, a PHP group "use") are read from their nodes.
"""

from __future__ import annotations

import re

from tree_sitter import Node, QueryCursor

from ..index.chunks import Import
from .languages import get_import_query

_KINDS = ("relative", "mod", "use", "provides", "module")  # capture suffixes that carry a module
_SHELL_VARIABLE = re.compile(r"^.*\$(\{[^}]*\}|\w+)/?")


def imports_of(root: Node, language: str) -> list[Import]:
    """The modules a parsed file imports, in file order, one per statement and module."""
    found: dict[tuple[int, str], tuple[str, Node, list[str], bool]] = {}
    for _index, captures in QueryCursor(get_import_query(language)).matches(root):
        kind = next((k for k in _KINDS if f"import.{k}" in captures), None)
        if kind is None:
            continue
        node = captures[f"import.{kind}"][0]
        key = (node.start_byte, kind)
        _kind, _node, names, wildcard = found.setdefault(key, (kind, node, [], False))
        names.extend(_text(n) for n in captures.get("import.name", ()) if _text(n) not in names)
        if "import.wildcard" in captures and not wildcard:
            found[key] = (kind, node, names, True)
    out: list[Import] = []
    for (_start, _key), (kind, node, names, wildcard) in sorted(found.items()):
        line = node.start_point.row + 1
        if kind == "use":
            out.extend(Import(line, "use", path) for path in _rust_use_paths(node))
            continue
        module = _module_text(node, language, kind)
        if module:
            out.append(Import(line, "wildcard" if wildcard else kind, module, tuple(names)))
    return out


def _module_text(node: Node, language: str, kind: str) -> str:
    if language == "scala":  # import a.b.{C, D}: the path fields, the selectors are names
        return ".".join(_text(n) for n in node.children_by_field_name("path") if n.is_named)
    if language == "php":
        return _php_module(node, kind)
    text = _text(node).strip()
    if language == "bash":  # source "$DIR/lib.sh": the part after the variable, relative to the script
        text = _SHELL_VARIABLE.sub("", text.strip("\"'")).strip("\"'")
        return "" if "$" in text or "`" in text else text
    return text


def _php_module(node: Node, kind: str) -> str:
    if kind == "relative":  # require __DIR__ . '/x.php': the string, relative to the file
        strings = [n for n in _walk(node) if n.type == "string_content"]
        return _text(strings[-1]).lstrip("/") if strings else ""
    named = next(iter(node.named_children), None)  # a clause: the class, "as" alias aside
    name = _text(named) if named is not None else ""
    group = node.parent.parent if node.parent is not None and node.parent.type == "namespace_use_group" else None
    if group is not None:
        prefix = next((c for c in group.named_children if c.type == "namespace_name"), None)
        name = f"{_text(prefix)}\\{name}" if prefix is not None else name
    return name.lstrip("\\")


def _rust_use_paths(node: Node) -> list[str]:
    """The paths a use tree names, "crate::a::{b, c::D}" -> crate::a::b, crate::a::c::D ("self" in a list
    is the list's own path)."""
    kind = node.type
    if kind == "use_as_clause":
        path = node.child_by_field_name("path")
        return _rust_use_paths(path) if path is not None else []
    if kind == "use_wildcard":
        inner = next(iter(node.named_children), None)
        return [_text(inner)] if inner is not None else []
    if kind == "scoped_use_list":
        path = node.child_by_field_name("path")
        listed = node.child_by_field_name("list")
        prefix = _text(path) if path is not None else ""
        out: list[str] = []
        for inner in (listed.named_children if listed is not None else []):
            for tail in _rust_use_paths(inner):
                out.append(prefix if tail == "self" else f"{prefix}::{tail}" if prefix else tail)
        return out
    if kind == "use_list":
        return [p for inner in node.named_children for p in _rust_use_paths(inner)]
    return [_text(node)] if kind in ("identifier", "scoped_identifier", "crate", "self", "super") else []


def _walk(node: Node):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")
