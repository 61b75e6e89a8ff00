"""The record every parser produces and every later stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field

# Kinds a chunk can have. Symbol kinds come from the tag queries; the rest from the chunkers.
SYMBOL_KINDS = ("function", "method", "class", "struct", "interface", "trait", "enum", "module_symbol")
OTHER_KINDS = ("imports", "module", "section", "text")
MAX_DEPS = 20  # names kept in Chunk.deps (and so in its summary and on the cloud)

# The cloud contract's ast_node_type vocabulary (function|method|class|block|import).
_CLOUD_NODE_TYPE = {
    "function": "function",
    "method": "method",
    "class": "class",
    "struct": "class",
    "interface": "class",
    "trait": "class",
    "enum": "class",
    "imports": "import",
}


def cloud_node_type(kind: str) -> str:
    """The cloud's ast_node_type for one of our chunk kinds."""
    return _CLOUD_NODE_TYPE.get(kind, "block")


@dataclass
class Chunk:
    path: str  # repo-relative, always with "/"
    language: str  # e.g. "python", "tsx", "markdown", "text"
    kind: str  # one of SYMBOL_KINDS or OTHER_KINDS
    symbol: str  # "Flask.run", "<imports>", "<module>", "Install > Linux" for a Markdown heading
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive
    code: str  # the source text of the chunk (or of this part of it)
    signature: str = ""  # first line(s) of the definition, kept on every part of a split symbol
    docstring: str = ""
    deps: list[str] = field(default_factory=list)  # calls and imports used inside, first used first, at most MAX_DEPS
    part: int = 0  # 0 for a whole symbol; 1, 2, ... for the parts of a split one
    parts: int = 1
    summary: str = ""  # filled by summaries.summarize


@dataclass(frozen=True)
class Import:
    """One module a file imports, as written: resolved to files of the repository when read (engine/graph),
    so that a file added or removed elsewhere changes no stored row."""

    line: int  # 1-based
    kind: str  # module | relative | mod | use | wildcard | provides (resources/queries/imports/python.scm)
    module: str  # "a.b", "./util", "github.com/x/y/pkg", "crate::a::b", "x/y.h", "A.B" ...
    names: tuple[str, ...] = ()  # names imported from it, where one may be a module itself
