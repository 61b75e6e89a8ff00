"""Run a language's tag query over a tree and turn the matches into qualified definitions.

Rules (see pharos_desktop/resources/queries/python.scm for the capture names):

- The same node captured twice keeps the most specific kind (``interface`` beats ``class``), and the
  name with a receiver (``Option.default``) if one match has it.
- A definition's container is its nearest enclosing definition, ``@scope`` or ``@namespace``. Inside
  a function or method it is *absorbed*: no chunk of its own, it stays in the function's code.
- Inside a class-like definition or a scope, a function becomes a ``method`` named
  ``Container.name``; a method without a body (an interface's ``int size();``) stays in the
  container's code. Inside a namespace (a Rust ``mod``) it stays a function, named ``mod.name``.
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

SCOPE_KINDS = frozenset({"scope", "namespace"})  # containers that qualify names but are no chunk
CONTAINER_KINDS = frozenset({"class", "struct", "interface", "trait", "enum", "module", *SCOPE_KINDS})
FUNCTION_KINDS = frozenset({"function", "method"})
_KIND_RANK = {"class": 0, "function": 0, "method": 1}  # anything else ranks 2 (more specific)
_NAME_LEAVES = frozenset({"identifier", "field_identifier", "qualified_identifier", "type_identifier",
                          "destructor_name", "operator_name", "scoped_identifier", "name"})
_GENERICS = re.compile(r"<[^<>]*>")
_FUNCTION_DECLARATORS = frozenset({"function_declarator", "pointer_declarator", "reference_declarator",
                                   "parenthesized_declarator", "operator_cast", "qualified_identifier"})
_WRAPPING_DECLARATORS = ("pointer_declarator", "reference_declarator", "parenthesized_declarator")
_OPERATOR = re.compile(r"\boperator\b")
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
        kind_key = next((k for k in captures if k.startswith("definition.") or k in SCOPE_KINDS), None)
        if kind_key is not None:
            node = captures[kind_key][0]
            kind = kind_key if kind_key in SCOPE_KINDS else kind_key.split(".", 1)[1]
            name = _name_text(captures["name"][0]) if "name" in captures else ""
            if "receiver" in captures:
                receiver = _receiver(captures["receiver"][0], node)
                name = f"{receiver}.{name}" if receiver else name
            if name in _EXPORTS:
                name = _own_name(node) or name
            key = (node.start_byte, node.end_byte, node.type)
            known = by_key.get(key)
            if known is None:
                by_key[key] = Definition(node, kind, name)
                continue
            if _KIND_RANK.get(kind, 2) > _KIND_RANK.get(known.kind, 2):
                known.kind = kind
            if "receiver" in captures:  # Kotlin: "fun Option.default" matches the plain pattern too
                known.name = name
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
        if definition.kind == "scope":
            # An impl names its type as written: "mod impl_serde { impl Serialize for Map }" gives Map.serialize.
            while container is not None and container.kind == "namespace" and not container.absorbed:
                container = container.container
        if container is None or (container.qualname in _EXPORTS and container.kind in SCOPE_KINDS
                                 and not container.absorbed):
            definition.qualname = name
        elif container.kind in FUNCTION_KINDS or container.absorbed or not (container.emitted
                                                                           or container.kind in SCOPE_KINDS):
            definition.emitted = False  # a helper inside a function stays in that function's chunk
            definition.absorbed = True
            definition.qualname = f"{container.qualname}.{name}"
        else:
            if definition.kind == "function" and container.kind != "namespace":
                definition.kind = "method"
            definition.qualname = f"{container.qualname}.{name}"
            if definition.kind in FUNCTION_KINDS and not has_body(definition.node):
                definition.emitted = False
        if definition.kind in SCOPE_KINDS:
            definition.emitted = False
        if container is not None:
            container.children.append(definition)


def _receiver(receiver: Node, definition: Node) -> str:
    """The type a receiver names; a type parameter of the definition stands for its bound (Kotlin
    "fun <T : Command> T.option()" is Command.option; "fun <T> T.also()" has no receiver to name)."""
    bounds: dict[str, str] = {}
    for parameters in definition.named_children:
        if parameters.type == "type_parameters":
            for parameter in parameters.named_children:
                named = [c for c in parameter.named_children if c.type == "identifier"]
                bound = next((c for c in parameter.named_children if c.type.endswith("_type")), None)
                if named:
                    bounds[_name_text(named[0])] = _name_text(bound).rstrip("?") if bound is not None else ""
    name = _name_text(receiver)
    for _ in range(4):  # "<T : Command<T>, C : T> C.sub()": C is a T is a Command
        if name not in bounds:
            break
        name = bounds[name]
    return name


def _own_name(node: Node) -> str:
    """The name a function gives itself where it is assigned (``module.exports = function authenticate``):
    ``module.exports`` names no function a reader would look for."""
    value = node.child_by_field_name("right")
    own = value.child_by_field_name("name") if value is not None else None
    return _name_text(own) if own is not None else ""


def _name_text(node: Node) -> str:
    if node.type in _FUNCTION_DECLARATORS:
        declared = _declared_name(node)
        if declared:
            return declared
    if node.type == "template_type":  # C++ "struct S<T, (N >= 2)>": the name without its arguments
        node = node.child_by_field_name("name") or node
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
    text = text.replace("`", "")  # Kotlin and Swift `a name`
    return " ".join(text.split()).strip(".")


def _declared_name(node: Node) -> str:
    """C/C++: the name in a function's declarator, read from the text before its parameter list: from
    "operator" on ("operator bool", "Foo::operator()"), else its last word, since error recovery can
    leave a macro or the return type in front of it ("SPDLOG_INLINE thread_pool::post_log",
    "XXH_errorcode XXH32_update", "void App::_process_env")."""
    for _ in range(8):  # "char *f(void)", "int (*handler(int))(void)": the name is further in
        inner = node.child_by_field_name("declarator")
        if node.type in _WRAPPING_DECLARATORS:
            inner = inner or next(iter(node.named_children), None)
        elif not (node.type == "function_declarator" and inner is not None
                  and inner.type in (*_WRAPPING_DECLARATORS, "function_declarator")):
            break
        if inner is None:
            return ""
        node = inner
    params = _parameter_list(node)
    if params is None:
        return ""
    raw = (node.text or b"")[: params.start_byte - node.start_byte].decode("utf-8", "replace")
    operator = _OPERATOR.search(raw)
    before, after = (raw[: operator.start()], raw[operator.start():]) if operator else (raw, "")
    while "<" in before and _GENERICS.search(before):
        before = _GENERICS.sub("", before)
    if after[len("operator"):][:1].isspace():  # a conversion, "operator basic_string_view<Char>"
        while "<" in after and _GENERICS.search(after):
            after = _GENERICS.sub("", after)
    words = before.split()
    last = words[-1] if words and not (after and before[-1:].isspace()) else ""
    name = (last + " ".join(after.split())).lstrip("*&")
    return name.replace("::", ".").strip(".")


def _parameter_list(node: Node) -> Node | None:
    """The first parameter list in a declarator, template arguments aside."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "parameter_list":
            return current
        if current.type != "template_argument_list":
            stack.extend(reversed(current.named_children))
    return None
