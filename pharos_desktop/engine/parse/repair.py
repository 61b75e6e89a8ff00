"""What trips a grammar, blanked out before parsing: C, C++ and C# preprocessor lines, C and C++
attribute macros, Kotlin constructor modifiers on their own line.

tree-sitter parses a file without its preprocessor, and where that fails it can lose whole definitions:
a ``#ifndef`` around half a file becomes one ERROR once anything inside it does not parse (every
function after it is gone), ``#if``/``#else`` around a signature leaves two headers for one body, and a
macro that stands for an attribute reads as a type or a function (``FMT_BEGIN_NAMESPACE`` alone on a
line makes ``namespace`` a function holding the whole namespace; ``class LEVELDB_EXPORT DB`` is a
function named DB). So these files are parsed with those parts blanked, byte for byte (rows and columns
stay where they are, and chunks still show the real lines); where that tree has an error over several
lines, the file is parsed as it is too (reusing the first tree), and the tree with less code inside
ERROR nodes is kept:

- ``#if``/``#ifdef``/``#ifndef``/``#elif``/``#else``/``#endif`` lines (and their ``\\`` continuations)
  become comments, so that the doc comment above one still reaches the definition below it. Of an
  ``#if`` with alternatives, every branch is kept when each is whole on its own (alternative definitions
  of one function stay definitions), else only the first (alternative signatures or bodies of one
  definition); ``#if 0`` branches never.
- C and C++ attribute macros (all capitals, see _MACRO): a macro, or macro call, alone on its line
  (``FMT_END_NAMESPACE``, ``DEBUGLOG(5, "x")``) becomes a comment, so that one above a definition stays
  in its chunk; blanked are one in front of a declaration that has a type and a name without it
  (``LZ4_FORCE_INLINE int f(``, ``CLI11_NODISCARD App *get(``, not ``U32 x;``) or in front of a
  constructor of a class of the file, every other use of such a name in the file unless it is also used
  as a type (``DWORD x;``), one between ``class`` and the class's name, and one after a parameter list
  (``void flush() SPDLOG_NOEXCEPT {``), between ``if`` and its condition, or before a block (``FMT_TRY {``).
- Kotlin: the modifiers of a primary constructor on the line after the class's name (``class ByteString``
  then ``internal actual constructor(``), which lose the whole class otherwise.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from tree_sitter import Node, Parser, Point, Tree

Edit = tuple[int, int, bytes]  # (start byte, end byte, replacement of the same length)

_DIRECTIVE = re.compile(rb"(?m)^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|elifdef|elifndef|else|endif)\b.*$")
_FALSE_IF = re.compile(rb"[ \t]*#[ \t]*if[ \t]+(0|false)[ \t]*(/[/*].*)?$")
_KOTLIN_CONSTRUCTOR = re.compile(
    rb"(?m)^[ \t]*((?:(?:public|private|protected|internal|actual|expect|@[\w.]+(?:\([^()\n]*\))?)[ \t]+)+)"
    rb"constructor\b")
_KOTLIN_CLASS_HEADER = re.compile(rb"\b(?:class|object)[ \t]+[\w`]+[ \t]*(?:<[^\n]*>)?$")
# What is not code when counting brackets: strings, characters, comments and preprocessor lines.
_NOT_CODE = re.compile(
    rb'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*.*?\*/|(?m:^[ \t]*#[^\n]*)', re.DOTALL)

_MACRO = rb"[A-Z][A-Z0-9_]{2,}"
_MACRO_WORD = re.compile(rb"\b" + _MACRO + rb"\b")
# What stands before and after a macro, for each place one is blanked (see the module's notes).
_LONE_REST = re.compile(rb"(?m)((?:[ \t]*\((?:[^()\n]|\([^()\n]*\))*\))?)[ \t]*(?://.*|/\*.*\*/[ \t]*)?$")
_BLOCK_REST = re.compile(rb"[ \t]*\{")
_LEADING_BEFORE = re.compile(
    rb"[ \t]*(?:template[ \t]*<.*>[ \t]+)?(?:(?:static|inline|extern|virtual|explicit|friend|constexpr)[ \t]+)*")
_CLASS_BEFORE = re.compile(rb"\b(?:class|struct|union)[ \t]+$")
_CLASS_REST = re.compile(rb"[ \t]+[A-Za-z_]\w*[ \t\n]*(?:final\b[ \t\n]*)?[{:]")
_TRAILING_BEFORE = re.compile(rb"\)[ \t]*(?:const[ \t]+)?$")
_TRAILING_REST = re.compile(rb"[ \t]*(?:override\b|final\b|[{;=]|:(?!:))")
_IF_BEFORE = re.compile(rb"\bif[ \t]+$")
_IF_REST = re.compile(rb"[ \t]*\(")
_TYPE_REST = re.compile(rb"[ \t*&]+[A-Za-z_]\w*[ \t]*[;,)=\[]")  # "DWORD x;", "HANDLE *h =": a type
_TAG_BEFORE = re.compile(rb"\b(?:class|struct|union|enum)[ \t]+$")
_CLASS_NAME = re.compile(rb"\b(?:class|struct)[ \t]+(?:" + _MACRO + rb"[ \t]+)?([A-Za-z_]\w*)")
_DECLARATION_END = re.compile(rb"[(;{=\[,)]")
_DECLARATION_HEAD = re.compile(rb"[ \t\n\w:*&~]*")
_WORD = re.compile(rb"[A-Za-z_]\w*")
_QUALIFIERS = frozenset({b"const", b"volatile", b"restrict"})
_TEMPLATE_ARGUMENTS = re.compile(rb"<[^<>;{}()]*>")


def parse(parser: Parser, language: str, source: bytes) -> tuple[Tree, bytes]:
    """(tree, the text it was parsed from): the blanked text's, unless source's own leaves less code in
    ERROR nodes (the tree of a file with nothing to blank is always its own)."""
    edits = _edits(language, source)
    if not edits:
        return parser.parse(source), source
    text = bytearray(source)
    for start, end, replacement in edits:
        text[start:end] = replacement
    blanked = bytes(text)
    tree = parser.parse(blanked)
    if not _broken(tree.root_node):
        return tree, blanked
    line_starts = [0, *(m.end() for m in re.finditer(rb"\n", source))]
    old = tree.copy()  # the second parse reuses what the edits left alone
    for start, end, _replacement in edits:
        old.edit(start, end, end, _point(line_starts, start), _point(line_starts, end), _point(line_starts, end))
    own = parser.parse(source, old)
    if _error_bytes(own.root_node) < _error_bytes(tree.root_node):
        return own, source
    return tree, blanked


def _edits(language: str, source: bytes) -> list[Edit]:
    if language in ("c", "cpp"):
        return _directive_edits(source) + _macro_edits(source)
    if language == "csharp":
        return _directive_edits(source)
    if language == "kotlin":
        return _kotlin_edits(source)
    return []


@dataclass
class _Group:
    """One #if ... #endif: where each branch's text starts and ends, and whether it is "#if 0"."""
    branches: list[tuple[int, int, bool]] = field(default_factory=list)
    open_at: int = 0  # where the current branch's text starts
    false: bool = False


def _directive_edits(source: bytes) -> list[Edit]:
    """Directive lines as comments; the text of dropped branches as spaces."""
    edits: list[Edit] = []
    stack: list[_Group] = []
    groups: list[_Group] = []
    for match in _DIRECTIVE.finditer(source):
        start, end = match.span()
        while source[end - 1:end] == b"\\" and end < len(source):  # a condition continued on the next line
            end = source.find(b"\n", end + 1)
            end = len(source) if end < 0 else end
        edits.extend((s, s + len(line), _comment(line)) for s, line in _lines(source, start, end))
        word = match.group(1)
        if word.startswith(b"if"):
            stack.append(_Group(open_at=end, false=_FALSE_IF.match(match.group()) is not None))
            continue
        if not stack:
            continue
        group = stack[-1]
        group.branches.append((group.open_at, start, group.false))
        group.open_at, group.false = end, False
        if word == b"endif":
            groups.append(stack.pop())
    for group in groups:
        kept = _kept_branches(source, group.branches)
        edits.extend((start, end, _spaces(source[start:end]))
                     for n, (start, end, _false) in enumerate(group.branches) if n not in kept)
    return edits


def _kept_branches(source: bytes, branches: list[tuple[int, int, bool]]) -> set[int]:
    """Every branch, when each is whole on its own (balanced, and all end alike: functions with "}",
    declarations with ";"), so that alternative definitions stay definitions; else only the first, as
    alternatives that share a body or a signature would read as one broken definition. "#if 0" never."""
    live = [n for n, (_s, _e, false) in enumerate(branches) if not false]
    if len(live) <= 1:
        return set(live)
    endings = set()
    for n in live:
        start, end, _false = branches[n]
        code = _NOT_CODE.sub(b" ", source[start:end])
        if code.count(b"{") != code.count(b"}") or code.count(b"(") != code.count(b")"):
            return {live[0]}
        code = code.rstrip()
        if code:  # a branch of only #defines goes with anything
            endings.add(code[-1:])
    return set(live) if endings <= {b"}"} or endings <= {b";"} else {live[0]}


def _macro_edits(source: bytes) -> list[Edit]:
    """One pass over the all-capitals words of the file."""
    edits: list[Edit] = []
    found: set[bytes] = set()  # attribute macros, by where they were certainly one
    typed: set[bytes] = set()  # names also used as types
    others: list[tuple[int, int, bytes]] = []
    classes: list[set[bytes]] = []  # the file's class names, found when first needed
    for match in _MACRO_WORD.finditer(source):
        start, end = match.span()
        word = match.group()
        before = source[source.rfind(b"\n", 0, start) + 1:start]
        if before.lstrip().startswith(b"#"):  # "#define FMT_API ..."
            continue
        if not before.strip():
            lone = _LONE_REST.match(source, end)
            if lone:  # a comment, so that a macro above a definition stays in its chunk
                edits.append((start, lone.end(1), _comment(source[start:lone.end(1)])))
                continue
            if _BLOCK_REST.match(source, end):
                edits.append((start, end, _spaces(word)))
                continue
        if _LEADING_BEFORE.fullmatch(before) and _declares(source, end, classes) or \
                _CLASS_BEFORE.search(before) and _CLASS_REST.match(source, end):
            found.add(word)
            edits.append((start, end, _spaces(word)))
        elif _TRAILING_BEFORE.search(before) and _TRAILING_REST.match(source, end) or \
                _IF_BEFORE.search(before) and _IF_REST.match(source, end):
            edits.append((start, end, _spaces(word)))
        else:
            if _TYPE_REST.match(source, end) and not _TAG_BEFORE.search(before):
                typed.add(word)
            others.append((start, end, word))
    # A name seen as an attribute macro where that is certain is one wherever it stands in the file
    # ("if FMT_CONSTEXPR20 (x)", "void SPDLOG_INLINE pool::post"), unless it is also used as a type.
    found -= typed
    edits.extend((start, end, _spaces(word)) for start, end, word in others if word in found)
    return edits


def _kotlin_edits(source: bytes) -> list[Edit]:
    """Modifiers of a primary constructor on the line after its class's name ("class ByteString" then
    "internal actual constructor("): the grammar takes "constructor(" there, not with modifiers."""
    edits: list[Edit] = []
    for match in _KOTLIN_CONSTRUCTOR.finditer(source):
        end = match.start() - 1  # the newline before this line
        start = source.rfind(b"\n", 0, max(end, 0)) + 1
        if _KOTLIN_CLASS_HEADER.search(source[start:end].rstrip()):
            edits.append((match.start(1), match.end(1), _spaces(match.group(1))))
    return edits


def _declares(source: bytes, at: int, classes: list[set[bytes]]) -> bool:
    """Whether the text after a macro is a declaration on its own: a type and a name, and nothing else,
    up to the first ( ; { = [ , or ) (so "LZ4_FORCE_INLINE int f(" loses its macro; "U32 x;" and
    "U32 const x =" keep U32), or a constructor of a class of the file ("FMT_CONSTEXPR typed_node(")."""
    end = _DECLARATION_END.search(source, at, at + 300)
    if end is None or source[at:at + 1] not in (b" ", b"\t", b"\n"):
        return False
    stretch = source[at:end.start()]
    while b"<" in stretch and _TEMPLATE_ARGUMENTS.search(stretch):
        stretch = _TEMPLATE_ARGUMENTS.sub(b" ", stretch)
    if not _DECLARATION_HEAD.fullmatch(stretch):  # an expression ("MAX - 1", "FLAG ? a : b"), not a declaration
        return False
    words = [w for w in _WORD.findall(stretch) if w not in _QUALIFIERS]
    if len(words) >= 2:
        return True
    if len(words) != 1 or end.group() != b"(":
        return False
    if not classes:
        classes.append(set(_CLASS_NAME.findall(source)))
    return words[0] in classes[0]


def _lines(source: bytes, start: int, end: int):
    """(offset, line) of each line of source[start:end]."""
    for line in source[start:end].split(b"\n"):
        yield start, line
        start += len(line) + 1


def _spaces(text: bytes) -> bytes:
    return re.sub(rb"[^\n]", b" ", text)


def _comment(line: bytes) -> bytes:
    """A line comment as long as the line: a directive or macro on the line above a definition, and the
    doc comment above that, stay in the definition's chunk (a blank line would cut them off)."""
    return b"//" + b" " * (len(line) - 2) if len(line) >= 2 else b" " * len(line)


def _point(line_starts: list[int], offset: int) -> Point:
    row = bisect_right(line_starts, offset) - 1
    return Point(row, offset - line_starts[row])


def _broken(root: Node) -> bool:
    """Whether an ERROR node spans several lines: a structure lost. A token misread (a macro in an
    expression, "64 KB") costs a line at most, and is no reason to parse the file a second time."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR":
            if node.end_point.row > node.start_point.row:
                return True
        elif node.has_error:
            stack.extend(node.children)
    return False


def _error_bytes(root: Node) -> int:
    """How much of the file the grammar could not place: the bytes under outermost ERROR nodes, and one
    for each token it had to make up."""
    total = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR":
            total += max(node.end_byte - node.start_byte, 1)
        elif node.is_missing:
            total += 1
        elif node.has_error:
            stack.extend(node.children)
    return total
