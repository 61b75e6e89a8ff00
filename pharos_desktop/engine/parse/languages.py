"""Which language a file is, and loading its tree-sitter grammar, parser and tag query.

Grammars come from the per-language wheels (``tree-sitter-python`` ...). A grammar or query that
does not load raises ``GrammarMissing`` naming the language and the pip package: there is no
silent fallback to plain-text chunking for a source language.

Thread safety: ``Language`` and compiled ``Query`` objects are shared (built once per language,
under a lock); every thread gets its own ``Parser`` per language (``threading.local``).
"""

from __future__ import annotations

import importlib
import threading
from pathlib import PurePosixPath

from tree_sitter import Language, Parser, Query

from ...resources import resource_path
from ..errors import GrammarMissing

# language -> (module, function, pip package)
GRAMMARS: dict[str, tuple[str, str, str]] = {
    "python": ("tree_sitter_python", "language", "tree-sitter-python"),
    "javascript": ("tree_sitter_javascript", "language", "tree-sitter-javascript"),
    "jsx": ("tree_sitter_javascript", "language", "tree-sitter-javascript"),
    "typescript": ("tree_sitter_typescript", "language_typescript", "tree-sitter-typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx", "tree-sitter-typescript"),
    "go": ("tree_sitter_go", "language", "tree-sitter-go"),
    "rust": ("tree_sitter_rust", "language", "tree-sitter-rust"),
    "java": ("tree_sitter_java", "language", "tree-sitter-java"),
    "c": ("tree_sitter_c", "language", "tree-sitter-c"),
    "cpp": ("tree_sitter_cpp", "language", "tree-sitter-cpp"),
    "csharp": ("tree_sitter_c_sharp", "language", "tree-sitter-c-sharp"),
    "ruby": ("tree_sitter_ruby", "language", "tree-sitter-ruby"),
    "php": ("tree_sitter_php", "language_php", "tree-sitter-php"),
    "kotlin": ("tree_sitter_kotlin", "language", "tree-sitter-kotlin"),
    "swift": ("tree_sitter_swift", "language", "tree-sitter-swift"),
    "scala": ("tree_sitter_scala", "language", "tree-sitter-scala"),
    "bash": ("tree_sitter_bash", "language", "tree-sitter-bash"),
    "lua": ("tree_sitter_lua", "language", "tree-sitter-lua"),
}
SOURCE_LANGUAGES: tuple[str, ...] = tuple(GRAMMARS)
TEXT_LANGUAGES: tuple[str, ...] = ("markdown", "yaml", "toml", "json", "dockerfile", "sql", "text")

# Languages that share a query file with another one.
_QUERY_FILE = {"jsx": "javascript", "tsx": "typescript"}

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".pyw": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "jsx",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go", ".rs": "rust", ".java": "java", ".c": "c",
    ".h": "cpp", ".hh": "cpp", ".hpp": "cpp", ".hxx": "cpp", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp",
    ".c++": "cpp", ".ipp": "cpp", ".inl": "cpp",
    ".cs": "csharp", ".rb": "ruby", ".rake": "ruby", ".gemspec": "ruby", ".php": "php",
    ".kt": "kotlin", ".kts": "kotlin", ".swift": "swift", ".scala": "scala", ".sc": "scala",
    ".sh": "bash", ".bash": "bash", ".lua": "lua",
    ".md": "markdown", ".markdown": "markdown", ".mdx": "markdown",
    ".yml": "yaml", ".yaml": "yaml", ".toml": "toml", ".json": "json", ".jsonc": "json",
    ".dockerfile": "dockerfile", ".sql": "sql",
    ".txt": "text", ".rst": "text", ".cfg": "text", ".ini": "text", ".conf": "text",
    ".properties": "text", ".adoc": "text", ".asciidoc": "text", ".tf": "text", ".gradle": "text",
}
FILE_NAMES: dict[str, str] = {
    "dockerfile": "dockerfile", "containerfile": "dockerfile",
    "gemfile": "ruby", "rakefile": "ruby", "podfile": "ruby", "vagrantfile": "ruby",
    "makefile": "text", "gnumakefile": "text", "cmakelists.txt": "text", "procfile": "text",
    "license": "text", "licence": "text", "copying": "text", "readme": "text", "changelog": "text",
    "authors": "text", "notice": "text",
}


def detect_language(path: str) -> str | None:
    """The language of a repo-relative path by file name or extension; None = not indexed."""
    name = PurePosixPath(path.replace("\\", "/")).name
    lower = name.lower()
    if lower in FILE_NAMES:
        return FILE_NAMES[lower]
    if lower.startswith(("dockerfile.", "containerfile.")):
        return "dockerfile"
    suffix = PurePosixPath(lower).suffix
    return EXTENSIONS.get(suffix)


_lock = threading.Lock()
_languages: dict[str, Language] = {}
_queries: dict[tuple[str, tuple[str, ...]], Query] = {}
_local = threading.local()


def _missing(language: str, why: object) -> GrammarMissing:
    package = GRAMMARS[language][2] if language in GRAMMARS else f"tree-sitter-{language}"
    return GrammarMissing(f"the tree-sitter grammar for {language} does not load ({why}); "
                          f"reinstall it with: pip install --force-reinstall {package}")


def _bad_query(language: str, why: object) -> GrammarMissing:
    return GrammarMissing(f"the tag query for {language} does not load ({why}); "
                          f"reinstall Pharos Desktop (its resources/queries folder is part of it)")


def get_language(language: str) -> Language:
    found = _languages.get(language)
    if found is not None:
        return found
    if language not in GRAMMARS:
        raise _missing(language, "no grammar is known for this language")
    module_name, function, _package = GRAMMARS[language]
    try:
        module = importlib.import_module(module_name)
        loaded = Language(getattr(module, function)())
    except Exception as exc:  # noqa: BLE001 - ImportError, AttributeError, ABI version mismatch ...
        raise _missing(language, exc) from exc
    with _lock:
        return _languages.setdefault(language, loaded)


def query_source(language: str, folder: tuple[str, ...] = ("queries",)) -> str:
    """The text of a language's query file in ``folder``, with any "; inherits: x" files prepended."""
    name = _QUERY_FILE.get(language, language)
    path = resource_path(*folder, f"{name}.scm")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _bad_query(language, f"{path} cannot be read: {exc}") from exc
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    if first.startswith("; inherits:"):
        parents = [p.strip() for p in first.split(":", 1)[1].split(",") if p.strip()]
        text = "\n".join(query_source(p, folder) for p in parents) + "\n" + text
    return text


def get_query(language: str) -> Query:
    """The tag query: definitions, imports as statements, calls and references."""
    return _compiled(language, ("queries",))


def get_import_query(language: str) -> Query:
    """The import query: what each import statement names (resources/queries/imports)."""
    return _compiled(language, ("queries", "imports"))


def _compiled(language: str, folder: tuple[str, ...]) -> Query:
    key = (language, folder)
    found = _queries.get(key)
    if found is not None:
        return found
    lang = get_language(language)
    try:
        compiled = Query(lang, query_source(language, folder))
    except GrammarMissing:
        raise
    except Exception as exc:  # noqa: BLE001 - QueryError names the bad pattern
        raise _bad_query(language, f"it does not compile: {exc}") from exc
    with _lock:
        return _queries.setdefault(key, compiled)


def get_parser(language: str) -> Parser:
    """This thread's parser for a language (parsers are not shared between threads)."""
    parsers = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(language)
    if parser is None:
        parser = parsers[language] = Parser(get_language(language))
    return parser


def grammar_status() -> dict[str, str | None]:
    """language -> None when its grammar and tag query load, else the error text."""
    status: dict[str, str | None] = {}
    for language in SOURCE_LANGUAGES:
        try:
            get_query(language)
            get_import_query(language)
            status[language] = None
        except GrammarMissing as exc:
            status[language] = str(exc)
    return status
