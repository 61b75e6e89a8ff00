"""What surrounds a definition node: its wrappers, leading comments, docstring and signature.

Grammar-independent rules, tuned on the 17 grammars we ship:

- *outer node*: a definition inside a wrapper that holds only it (``decorated_definition``,
  ``export_statement``, ``template_declaration``, a one-declarator ``const f = () => ...``) is
  widened to the wrapper, so decorators, ``export`` and ``template <...>`` belong to the chunk.
- *leading block*: comments and attributes (``#[derive]``) directly above the outer node, with no
  blank line between them, are part of the chunk; the comments are its doc text.
- *docstring*: Python's first string statement in the body wins over comments.
- *signature*: the text from the definition's start to its body, collapsed to one line.
"""

from __future__ import annotations

import inspect
import re

from tree_sitter import Node

WRAPPERS = frozenset({
    "decorated_definition", "export_statement", "template_declaration", "lexical_declaration",
    "variable_declaration", "expression_statement", "type_declaration", "ambient_declaration",
})
ATTRIBUTES = frozenset({"attribute_item", "attribute", "decorator", "annotation", "attribute_list"})
BODY_TYPES = frozenset({
    "block", "body_statement", "compound_statement", "statement_block", "class_body", "declaration_list",
    "field_declaration_list", "function_body", "template_body", "enum_body", "enum_class_body",
    "protocol_body", "enum_member_declaration_list", "enum_declaration_list", "interface_body",
    "enum_variant_list", "object_type", "constructor_body",
    "enumerator_list", "arrow_expression_clause", "computed_property",
})
MAX_SIGNATURE = 300
MAX_SIGNATURE_LINES = 6


# Node types that fill the same place in a wrapper (Go: "type ( A int; B = string )" holds two definitions).
_SLOTS = {"type_alias": "type_spec"}


def _slot(node_type: str) -> str:
    return _SLOTS.get(node_type, node_type)


def is_comment(node: Node) -> bool:
    return "comment" in node.type


def outer_node(node: Node) -> Node:
    """Widen a definition to the wrappers that exist only for it."""
    while True:
        parent = node.parent
        if parent is None or parent.type not in WRAPPERS:
            return node
        if sum(1 for c in parent.named_children if _slot(c.type) == _slot(node.type)) != 1:
            return node
        if parent.type == "expression_statement" and parent.named_child_count != 1:
            return node
        node = parent


def leading_block(node: Node) -> tuple[int, list[Node]]:
    """(first row of the chunk, the doc comments) for the comments/attributes right above node."""
    first_row = node.start_point.row
    comments: list[Node] = []
    current = node
    while True:
        sibling = current.prev_named_sibling
        if sibling is None:
            # Ruby puts "# doc\n class X" comments outside the body that starts at X: climb up.
            parent = current.parent
            if parent is not None and parent.start_byte == current.start_byte and parent.parent is not None:
                current = parent
                continue
            break
        if not (is_comment(sibling) or sibling.type in ATTRIBUTES):
            break
        if sibling.end_point.row < first_row - 1:  # a blank line in between
            break
        before = sibling.prev_sibling
        if is_comment(sibling) and before is not None and _last_row(before) == sibling.start_point.row \
                and not is_comment(before):
            break  # a trailing comment of the previous statement
        if is_comment(sibling) and sibling.text and sibling.text.startswith(b"#!"):
            break  # a shebang is no documentation
        first_row = sibling.start_point.row
        if is_comment(sibling):
            comments.append(sibling)
        current = sibling
    comments.reverse()
    return first_row, comments


def _last_row(node: Node) -> int:
    """The row a node ends on, not counting the newline that ends a C "#define" line."""
    row = node.end_point.row
    return row - 1 if node.end_point.column == 0 and row > node.start_point.row else row


_BLOCK_OPEN = re.compile(r"^\s*(/\*\*+|/\*!|/\*+|--\[=*\[|=begin\b)")
_BLOCK_CLOSE = re.compile(r"(\*+/|\]=*\]|^=end\b)\s*$")
_LINE_MARK = re.compile(r"^\s*(///?!?|//|#+|--+|;+|\*(?!\*/))\s?")


def clean_comment(text: str) -> str:
    """Comment text without its markers: /** */, ///, //, #, --, --[[ ]], leading * columns."""
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    for line in lines:
        line = _BLOCK_OPEN.sub("", line, count=1)
        line = _BLOCK_CLOSE.sub("", line)
        line = _LINE_MARK.sub("", line, count=1)
        out.append(line.rstrip())
    return inspect.cleandoc("\n".join(out)).strip()


_XML_DOC_TAG = re.compile(r"</?(summary|remarks|returns|para|value|example)\s*/?>")


def comments_text(comments: list[Node]) -> str:
    parts = [_XML_DOC_TAG.sub("", clean_comment(_text(c))).strip() for c in comments]
    return "\n".join(p for p in parts if p).strip()


def python_docstring(node: Node) -> str:
    """The docstring of a Python function/class node, cleaned like inspect.getdoc."""
    body = node.child_by_field_name("body")
    if body is None or body.named_child_count == 0:
        return ""
    first = body.named_children[0]
    if first.type != "expression_statement" or first.named_child_count != 1:
        return ""
    string = first.named_children[0]
    if string.type not in ("string", "concatenated_string"):
        return ""
    raw = _text(string)
    raw = re.sub(r'^[rRuUbBfF]*("""|\'\'\'|"|\')', "", raw)
    raw = re.sub(r'("""|\'\'\'|"|\')$', "", raw)
    return inspect.cleandoc(raw).strip()


def find_body(node: Node) -> Node | None:
    """The body of a definition: field "body", a body-typed child, or the body of its value."""
    body = node.child_by_field_name("body")
    if body is not None:
        return body
    for child in node.named_children:
        if child.type in BODY_TYPES:
            return child
    for field in ("value", "right", "type", "definition", "declaration"):
        inner = node.child_by_field_name(field)
        if inner is not None and inner.start_byte > node.start_byte:
            found = inner.child_by_field_name("body")
            if found is None:
                found = next((c for c in inner.named_children if c.type in BODY_TYPES), None)
            if found is not None:
                return found
    for child in node.named_children:  # Kotlin, C# variable declarators one level down
        if child.type in ("variable_declarator", "type_spec", "expression_list"):
            found = find_body(child)
            if found is not None:
                return found
    return None


def signature(node: Node, definition: Node | None = None) -> tuple[str, int]:
    """(one-line signature, last row of the signature): from node's start to the body of the
    definition (node itself, or the definition inside the wrapper node)."""
    body = find_body(definition if definition is not None else node)
    start_row = node.start_point.row
    if body is not None and body.start_byte > node.start_byte:
        before = body.prev_sibling
        end_byte = body.start_byte
        for child in node.children:  # "module Accounts  # note" / "def f():  # note"
            if child.start_byte >= end_byte:
                break
            if is_comment(child) and child.start_byte > node.start_byte:
                end_byte = child.start_byte
                before = child.prev_sibling
                break
        end_row = before.end_point.row if before is not None and before.start_byte >= node.start_byte \
            else body.start_point.row
        raw = (node.text or b"")[: end_byte - node.start_byte].decode("utf-8", "replace")
    else:
        raw = _text(node).split("\n", 1)[0]
        end_row = start_row
    end_row = min(max(end_row, start_row), start_row + MAX_SIGNATURE_LINES - 1)
    one_line = " ".join(raw.split())
    one_line = re.sub(r"\s*(\{|=)$", "", one_line)
    if len(one_line) > MAX_SIGNATURE:
        one_line = one_line[: MAX_SIGNATURE - 3].rstrip() + "..."
    return one_line, end_row


def has_body(node: Node) -> bool:
    return find_body(node) is not None


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")
