"""Run a language's tag query over a tree and turn the matches into qualified definitions.

Rules (see pharos_desktop/resources/queries/python.scm for the capture names):

- The same node captured twice keeps the most specific kind (``interface`` beats ``class``).
- A definition's container is its nearest enclosing definition or ``@scope``. Inside a function
  or method it is *absorbed*: no chunk of its own, it stays in the function's code.
- Inside a class-like definition or a scope, a function becomes a ``method`` named
  ``Container.name``; a method without a body (an interface's ``int size();``) stays in the
  container's code.
- Names are normalised: ``Foo::bar``, ``M:send`` and ``obj.method`` use ``.``; generics are dropped
  (``impl<T> Wrapper<T>`` qualifies as ``Wrapper``); ``exports.x`` / ``module.exports.x`` is ``x``, and so
  is ``x`` in ``module.exports = {x: ...}``, and ``module.exports = function f`` is ``f``; ``Foo.prototype.x``
  and ``Foo.prototype = {x: ...}`` give ``Foo.x``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor

from .docs import has_body
from .languages import get_query

CONTAINER_KINDS = frozenset({"class", "struct", "interface", "trait", "enum", "module", "scope"})
FUNCTION_KINDS = frozenset({"function", "method"})
_KIND_RANK = {"class": 0, "function": 0, "method": 1}  # anything else ranks 2 (more specific)
_NAME_LEAVES = frozenset({"identifier", "field_identifier", "qualified_identifier", "type_identifier",
                          "destructor_name", "operator_name", "scoped_identifier", "name"})
_GENERICS = re.compile(r"<[^<>]*>")
_EXPORTS = frozenset({"module.exports", "exports"})  # an object assigned to these is the module's own namespace


@dataclass
class Definition:
    node: Node
    kind: str  # function/method/class/... or "scope"
    name: str
    container: Definition | None = None
    qualname: str = ""
    emitted: bool = True  # False: absorbed by a function, a body-less declaration, or a scope
    absorbed: bool = False  # inside a function: so is everything it contains, scopes included
    children: list[Definition] = field(default_factory=list)


@dataclass
class Tags:
    definitions: list[Definition]  # sorted by position, containers before their contents
    imports: list[Node]
    calls: list[Node]
    references: list[Node]


def collect(root: Node, language: str) -> Tags:
    query = get_query(language)
    by_key: dict[tuple[int, int, str], Definition] = {}
    imports: list[Node] = []
    calls: list[Node] = []
    references: list[Node] = []
    for _index, captures in QueryCursor(query).matches(root):
        kind_key = next((k for k in captures if k.startswith("definition.") or k == "scope"), None)
        if kind_key is not None:
            node = captures[kind_key][0]
            kind = "scope" if kind_key == "scope" else kind_key.split(".", 1)[1]
            name = _name_text(captures["name"][0]) if "name" in captures else ""
            if "receiver" in captures:
                name = f"{_name_text(captures['receiver'][0])}.{name}"
            if name in _EXPORTS:
                name = _own_name(node) or name
            key = (node.start_byte, node.end_byte, node.type)
            known = by_key.get(key)
            if known is None:
                by_key[key] = Definition(node, kind, name)
            elif _KIND_RANK.get(kind, 2) > _KIND_RANK.get(known.kind, 2):
                known.kind = kind
            continue
        if "import" in captures:
            imports.append(captures["import"][0])
        if "call" in captures:
            calls.extend(captures["call"])
        if "reference" in captures:
            references.extend(captures["reference"])
    definitions = sorted(by_key.values(), key=lambda d: (d.node.start_byte, -d.node.end_byte))
    _qualify(definitions, by_key)
    return Tags(definitions, imports, calls, references)


def _qualify(definitions: list[Definition], by_key: dict[tuple[int, int, str], Definition]) -> None:
    for definition in definitions:
        parent = definition.node.parent
        while parent is not None:
            container = by_key.get((parent.start_byte, parent.end_byte, parent.type))
            if container is not None and container is not definition:
                definition.container = container
                break
            parent = parent.parent
        name = definition.name or "<anonymous>"
        if name.startswith(("module.exports.", "exports.")):
            name = name.split("exports.", 1)[1]
        elif "." in name and definition.kind == "function":
            definition.kind = "method"
        container = definition.container
        if container is None or (container.qualname in _EXPORTS and container.kind == "scope"
                                 and not container.absorbed):
            definition.qualname = name
        elif container.kind in FUNCTION_KINDS or container.absorbed or not (container.emitted
                                                                           or container.kind == "scope"):
            definition.emitted = False  # a helper inside a function stays in that function's chunk
            definition.absorbed = True
            definition.qualname = f"{container.qualname}.{name}"
        else:
            if definition.kind == "function":
                definition.kind = "method"
            definition.qualname = f"{container.qualname}.{name}"
            if definition.kind in FUNCTION_KINDS and not has_body(definition.node):
                definition.emitted = False
        if definition.kind == "scope":
            definition.emitted = False
        if container is not None:
            container.children.append(definition)


def _own_name(node: Node) -> str:
    """The name a function gives itself where it is assigned (``module.exports = function authenticate``):
    ``module.exports`` names no function a reader would look for."""
    value = node.child_by_field_name("right")
    own = value.child_by_field_name("name") if value is not None else None
    return _name_text(own) if own is not None else ""


def _name_text(node: Node) -> str:
    # C/C++: a function's @name is its declarator; follow it down to the name itself.
    for _ in range(8):
        if node.type in _NAME_LEAVES:
            break
        inner = node.child_by_field_name("declarator")
        if inner is None and node.type in ("reference_declarator", "pointer_declarator", "parenthesized_declarator"):
            inner = next(iter(node.named_children), None)
        if inner is None:
            break
        node = inner
    text = (node.text or b"").decode("utf-8", "replace")
    text = text.replace("::", ".").replace(":", ".").replace("\\", ".").replace("#", ".")
    while "<" in text and _GENERICS.search(text):
        text = _GENERICS.sub("", text)
    text = text.replace(".prototype.", ".").removesuffix(".prototype")
    return " ".join(text.split()).strip(".")
