"""Chunks of a source file: one per symbol, one for the imports, and windows of leftover code.

- A symbol chunk spans its leading comments/attributes/decorators through its last line.
- A container (class, struct, interface, trait, enum, Ruby module) whose members are chunks of
  their own keeps its header, docstring and non-member lines; each member chunk is replaced by
  one *outline* line, ``<indent><member signature> ...``, so the class reads as a short outline.
- Lines inside an ``@scope`` or ``@namespace`` (Rust impl and mod, Swift extension) that no member
  covers, and all other top-level lines except imports and blank lines, go into ``<module>`` chunks of
  at most ``max_chars`` each; a window made only of closing braces/``end`` (or attributes and the
  header of a scope) is dropped.
- The tree may come from the file with preprocessor lines and macros blanked out (repair.py); chunks
  always show the file's own lines.
- A chunk longer than ``max_chars`` is split on row boundaries (split.py); every part after the
  first starts with the definition's signature lines.
- Rows are cut at the symbol's own columns where other code shares its first or last line, so
  that symbols packed onto one line (bundled code) each get their own bytes, never the whole line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..index.chunks import MAX_DEPS, Chunk, Import
from . import repair
from .deps import DepsCollector, imported_names
from .imports import imports_of
from .docs import ATTRIBUTES, comments_text, leading_block, outer_node, python_docstring, signature
from .languages import get_parser
from .split import Row, pack, rows_text, split_chunk
from .tags import SCOPE_KINDS, Definition, collect

_TRIVIAL = re.compile(r"[\s{}()\[\];,]*|end|fi|done|esac|\?>|<\?php|(namespace|package)\s+[\w.:\\]+\s*[;{]?")
_KIND = {"module": "module_symbol"}


@dataclass
class _Sym:
    definition: Definition
    start: int  # 0-based rows, inclusive
    end: int
    sig: str
    sig_rows: tuple[int, int]
    doc: str
    cols: tuple[int, int | None] = (0, None)  # where the symbol starts on its first row, ends on its last
    parent: _Sym | None = None

    def line(self, lines: list[str], row: int) -> str:
        """Row ``row`` of the file as this symbol owns it: cut at its columns on its first and last rows."""
        text = lines[row]
        end = self.cols[1] if row == self.end else None
        start = self.cols[0] if row == self.start else 0
        return text[start:end] if (start or end is not None) else text


def symbol_chunks(path: str, text: str, language: str, max_chars: int) -> list[Chunk]:
    """A source file cut at its symbols (tree-sitter tags): one chunk per function, class or method, with
    the imports and module-level code between them."""
    return source_file(path, text, language, max_chars)[0]


def source_file(path: str, text: str, language: str, max_chars: int) -> tuple[list[Chunk], list[Import]]:
    """symbol_chunks, and the modules the file imports, from one parse."""
    lines = text.split("\n")
    source = text.encode("utf-8", "replace")
    tree, parsed = repair.parse(get_parser(language), language, source)
    parsed_lines = lines if parsed is source else parsed.decode("utf-8", "replace").split("\n")
    tags = collect(tree.root_node, language)

    syms: list[_Sym] = []
    by_def: dict[int, _Sym] = {}
    for definition in tags.definitions:
        if not definition.emitted:
            continue
        node = definition.node
        outer = outer_node(node)
        first_row, comments = leading_block(outer)
        doc = python_docstring(node) if language == "python" else ""
        doc = doc or comments_text(comments)
        sig_node = node if outer.type == "decorated_definition" else outer
        sig, sig_end = signature(sig_node, node)
        sym = _Sym(definition, first_row, _end_row(outer), sig, (sig_node.start_point.row, sig_end), doc,
                   _columns(outer, first_row, lines, parsed_lines))
        parent = definition.container
        while parent is not None and id(parent) not in by_def:
            parent = parent.container
        sym.parent = by_def.get(id(parent)) if parent is not None else None
        by_def[id(definition)] = sym
        syms.append(sym)

    owner: list[int | None] = [None] * len(lines)
    for index, sym in sorted(enumerate(syms), key=lambda item: (item[1].start, -item[1].end)):
        for row in range(sym.start, min(sym.end, len(lines) - 1) + 1):
            owner[row] = index

    kids: dict[int, list[_Sym]] = {}
    for sym in syms:
        if sym.parent is not None:
            kids.setdefault(id(sym.parent), []).append(sym)

    top_imports = [n for n in tags.imports if owner[n.start_point.row] is None]
    import_rows = sorted({r for n in top_imports for r in range(n.start_point.row, _end_row(n) + 1)})
    import_set = set(import_rows)
    module_rows = [r for r in range(len(lines)) if owner[r] is None and r not in import_set and lines[r].strip()]
    # Scope headers, their attributes and closers ("#[cfg(test)]", "mod tests {", "}") alone make no useful
    # module chunk.
    trivial = {r for d in tags.definitions if d.kind in SCOPE_KINDS
               for r in (*range(_attributes_row(d.node), signature(d.node)[1] + 1), _end_row(d.node))}
    module_groups = [g for run in _runs(module_rows, owner)
                     for g in pack([(r + 1, r + 1, lines[r]) for r in run], max_chars)
                     if not all(row[0] - 1 in trivial or _TRIVIAL.fullmatch(row[2].strip()) for row in g)]
    module_of_row = {row[0] - 1: ("module", n) for n, group in enumerate(module_groups) for row in group}

    collector = DepsCollector(tags.calls, tags.references, set(imported_names(tags.imports)))

    def owner_of_row(row: int) -> object:
        if 0 <= row < len(owner) and owner[row] is not None:
            return ("sym", owner[row])
        return module_of_row.get(row)

    deps = collector.assign(owner_of_row)
    chunks: list[Chunk] = []
    for index, sym in enumerate(syms):
        definition = sym.definition
        rows = _symbol_rows(sym, kids.get(id(sym), []), lines)
        if not rows:
            continue
        header = [sym.line(lines, r) for r in range(sym.sig_rows[0], min(sym.sig_rows[1], len(lines) - 1) + 1)]
        base = Chunk(path, language, _KIND.get(definition.kind, definition.kind), definition.qualname,
                     sym.start + 1, sym.end + 1, "", signature=sym.sig, docstring=sym.doc,
                     deps=deps.get(("sym", index), []))
        chunks.extend(split_chunk(base, rows, max_chars, header))
    if import_rows:
        rows = [(r + 1, r + 1, lines[r]) for r in import_rows]
        base = Chunk(path, language, "imports", "<imports>", rows[0][0], rows[-1][0], "",
                     deps=imported_names(top_imports)[:MAX_DEPS])
        chunks.extend(split_chunk(base, rows, max_chars))
    for n, group in enumerate(module_groups):
        chunks.append(Chunk(path, language, "module", "<module>", group[0][0], group[-1][1], rows_text(group),
                            deps=deps.get(("module", n), [])))
    chunks.sort(key=lambda c: (c.start_line, -c.end_line, c.part))
    return chunks, imports_of(tree.root_node, language)


def file_imports(text: str, language: str) -> list[Import]:
    """Only the modules a source file imports (a file whose chunks are stored already)."""
    tree, _parsed = repair.parse(get_parser(language), language, text.encode("utf-8", "replace"))
    return imports_of(tree.root_node, language)


def _runs(rows: list[int], owner: list[int | None]) -> list[list[int]]:
    """Leftover rows cut wherever a symbol chunk lies between two of them."""
    runs: list[list[int]] = []
    for row in rows:
        if runs and all(owner[r] is None for r in range(runs[-1][-1] + 1, row)):
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def _symbol_rows(sym: _Sym, children: list[_Sym], lines: list[str]) -> list[Row]:
    """The rows of a symbol, with member chunks folded into one outline row each."""
    last = min(sym.end, len(lines) - 1)
    rows: list[Row] = []
    row = sym.start
    header_end = sym.sig_rows[0]
    for child in sorted(children, key=lambda c: c.start):
        if child.start <= header_end or child.start < row or child.end > last:
            continue
        rows.extend((r + 1, r + 1, sym.line(lines, r)) for r in range(row, child.start))
        sig_line = lines[child.sig_rows[0]] if child.sig_rows[0] < len(lines) else ""
        indent = sig_line[: len(sig_line) - len(sig_line.lstrip())]
        rows.append((child.start + 1, child.end + 1, f"{indent}{child.sig} ..."))
        row = child.end + 1
    rows.extend((r + 1, r + 1, sym.line(lines, r)) for r in range(row, last + 1))
    while rows and not rows[-1][2].strip():
        rows.pop()
    return rows


def _columns(outer, first_row: int, lines: list[str], parsed: list[str]) -> tuple[int, int | None]:
    """(start, end) character columns of a symbol on its first and last rows; (0, None) keeps the whole
    line, as for every symbol that has its lines to itself. Whether other code shares the line is read in
    the text the tree was parsed from (a macro blanked out there belongs to the symbol)."""
    start = 0
    if first_row == outer.start_point.row:
        column = _char_column(lines[first_row], outer.start_point.column)
        seen = parsed[first_row]
        if seen[:_char_column(seen, outer.start_point.column)].strip():  # other code before it on the line
            start = column
    end: int | None = None
    last = _end_row(outer)
    if last == outer.end_point.row and last < len(lines):
        column = _char_column(lines[last], outer.end_point.column)
        seen = parsed[last]
        if seen[_char_column(seen, outer.end_point.column):].strip():  # other code after it on the line
            end = column
    return start, end


def _char_column(line: str, byte_column: int) -> int:
    """tree-sitter columns count UTF-8 bytes; lines are str."""
    if line.isascii():
        return byte_column
    return len(line.encode("utf-8", "replace")[:byte_column].decode("utf-8", "ignore"))


def _attributes_row(node) -> int:
    """First row of the attributes right above a node (Rust's "#[cfg(test)]"), else the node's own."""
    row = node.start_point.row
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type in ATTRIBUTES and sibling.end_point.row >= row - 1:
        row = sibling.start_point.row
        sibling = sibling.prev_named_sibling
    return row


def _end_row(node) -> int:
    """Last row of a node, not counting a trailing newline that ends it at column 0."""
    row = node.end_point.row
    if node.end_point.column == 0 and row > node.start_point.row:
        row -= 1
    return row
