"""How source files are cut: docs, decorators, outlines, imports, module code, splits, robustness."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pharos_desktop.engine.errors import GrammarMissing
from pharos_desktop.engine.parse import SOURCE_LANGUAGES, detect_language, grammar_status, parse_file
from pharos_desktop.engine.parse.languages import get_language
from pharos_desktop.tools.sample_repos import package_source

from .symbol_cases import CASES


def typer_files() -> list[Path]:
    """typer's own sources, wherever this interpreter installed them (chromadb requires typer). Not click's: click
    is kept for independent checks of search."""
    folder = package_source("typer")
    assert folder is not None, "typer is missing: install the package (pip install -e '.[dev]')"
    return sorted(folder.glob("*.py"))


def by_symbol(language: str) -> dict[str, object]:
    path, source, _ = CASES[language]
    return {c.symbol: c for c in parse_file(path, source, language)}


def test_grammar_status_reports_every_language_loading() -> None:
    status = grammar_status()
    assert set(status) == set(SOURCE_LANGUAGES)
    assert all(error is None for error in status.values()), status


def test_unknown_grammar_raises_grammar_missing_naming_the_package() -> None:
    with pytest.raises(GrammarMissing, match="cobol.*pip install"):
        get_language("cobol")


@pytest.mark.parametrize(("path", "language"), [
    ("a/b.py", "python"), ("x.jsx", "jsx"), ("x.mjs", "javascript"), ("x.ts", "typescript"), ("x.tsx", "tsx"),
    ("inc/x.h", "cpp"), ("x.hpp", "cpp"), ("x.cc", "cpp"), ("x.c", "c"), ("X.cs", "csharp"), ("x.kt", "kotlin"),
    ("run.sh", "bash"), ("x.bash", "bash"), ("init.lua", "lua"), ("Gemfile", "ruby"), ("README.md", "markdown"),
    ("ci.yml", "yaml"), ("pyproject.toml", "toml"), ("package.json", "json"), ("Dockerfile", "dockerfile"),
    ("docker/Dockerfile.dev", "dockerfile"), ("schema.sql", "sql"), ("notes.txt", "text"), ("setup.cfg", "text"),
    ("docs/index.rst", "text"), ("logo.png", None), ("Makefile.am", None), ("data.bin", None),
])
def test_detect_language(path: str, language: str | None) -> None:
    assert detect_language(path) == language


def test_python_decorators_docstrings_and_deps() -> None:
    chunks = by_symbol("python")
    auth = chunks["authenticate_user"]
    assert auth.code.startswith("@functools.lru_cache(maxsize=None)\n@audit\ndef authenticate_user(")
    assert auth.signature == "def authenticate_user(username: str, password: str) -> User:"
    assert auth.docstring == "Authenticate a user with credentials."
    assert auth.deps[:4] == ["functools", "lru_cache", "User", "query"]
    assert "verify_password" in auth.deps and "PermissionError" in auth.deps
    assert chunks["verify_password"].docstring == ""
    assert chunks["Session.expired"].code.lstrip().startswith("@property")
    assert "helper" not in chunks and "Session.expired.helper" not in chunks  # nested helper stays inside


def test_class_chunk_is_an_outline_of_its_members() -> None:
    session = by_symbol("python")["Session"]
    assert session.code.splitlines() == [
        "class Session:", '    """A logged-in session."""', "", "    ttl = TIMEOUT", "",
        "    def __init__(self, user): ...", "", "    def expired(self) -> bool: ...", "", "    class Token: ...",
    ]
    assert session.docstring == "A logged-in session."


def test_imports_and_module_chunks() -> None:
    path, source, _ = CASES["python"]
    chunks = parse_file(path, source, "python")
    imports = [c for c in chunks if c.kind == "imports"]
    assert len(imports) == 1 and imports[0].symbol == "<imports>"
    assert imports[0].code == "import functools\nfrom .models import User, query"
    assert (imports[0].start_line, imports[0].end_line) == (2, 3)
    modules = [(c.start_line, c.end_line, c.code) for c in chunks if c.kind == "module"]
    assert modules == [(1, 5, '"""Auth helpers."""\nTIMEOUT = 30'),
                       (42, 43, 'if __name__ == "__main__":\n    authenticate_user("a", "b")')]
    assert all(c.symbol == "<module>" for c in chunks if c.kind == "module")


@pytest.mark.parametrize(("language", "symbol", "doc"), [
    ("go", "Server.Start", "Start starts."), ("rust", "Point", "A point."), ("rust", "Point.new", "Make one."),
    ("javascript", "obj.method", "Obj method."), ("java", "OrderService", "Manages orders."),
    ("java", "OrderService.find", "Finds one."), ("c", "dup_str", "Duplicate a string."),
    ("cpp", "Widget", "Widget doc."), ("csharp", "UserService", "Loads users."),
    ("ruby", "Accounts.User", "A user record."),
    ("ruby", "Accounts", "Tools for users."), ("php", "User", "A user."), ("php", "User.fullName", "Full name."),
    ("kotlin", "Foo", "Doc for Foo."), ("kotlin", "Foo.run", "run it"), ("swift", "Shape", "A shape."),
    ("scala", "Greeter", "A trait."), ("bash", "deploy", "Deploy the app."), ("lua", "M.add", "Add numbers."),
    ("typescript", "Point", "Shape of a point."),
])
def test_doc_comments_are_attached_without_markers(language: str, symbol: str, doc: str) -> None:
    assert by_symbol(language)[symbol].docstring == doc


def test_styles_real_code_uses() -> None:
    c = by_symbol("c")
    assert c["dup_str"].signature == "char *dup_str(const char *s)"
    assert c["matrix"].signature == "static int **matrix(void)"
    cpp = by_symbol("cpp")
    assert cpp["Widget.count"].kind == "method" and cpp["Widget.count"].deps == ["helper"]
    assert cpp["max_of"].code.startswith("template <typename T>")
    js = by_symbol("javascript")
    assert js["handler"].signature == "exports.handler = async (req) =>"
    assert js["f"].code == "export const f = (a) => a + 1;"
    assert js["Foo.handle"].kind == "method"
    go = by_symbol("go")
    assert go["Server.Start"].signature == "func (s *Server) Start() error"
    assert go["Server.Start"].deps == ["fmt", "Errorf"]
    rust = by_symbol("rust")
    assert rust["Point"].code.splitlines()[1] == "#[derive(Debug)]"
    assert rust["Point.fmt"].deps == ["fmt", "write"]
    assert "Wrapper.get" in rust


def test_jsx_and_tsx() -> None:
    jsx = "import React from 'react';\n\nexport const App = () => <div onClick={() => go()}>hi</div>;\n" \
          "function Item({ label }) {\n  return <li>{label}</li>;\n}\n"
    found = [(c.kind, c.symbol, c.start_line, c.end_line) for c in parse_file("src/App.jsx", jsx, "jsx")]
    assert found == [("imports", "<imports>", 1, 1), ("function", "App", 3, 3), ("function", "Item", 4, 6)]
    tsx = "type Props = { n: number };\nexport function Counter({ n }: Props): JSX.Element {\n  return <b>{n}</b>;\n}\n"
    found = [(c.kind, c.symbol, c.start_line, c.end_line) for c in parse_file("src/C.tsx", tsx, "tsx")]
    assert found == [("module", "<module>", 1, 1), ("function", "Counter", 2, 4)]


def test_functions_in_an_object_literal_are_methods_of_the_name_it_is_assigned_to() -> None:
    # The pre-class style older JavaScript is written in: without this, generateAsync and push were lines of a
    # module chunk, and no search or browse could name them.
    source = """\
function Worker(name) { this.name = name; }
Worker.prototype = {
  push: function (chunk) { this.emit(chunk); },
  flush() { return 1; },
  limit: 3,
};
var out = {
  generateAsync: async function (options) { return options; },
};
module.exports = {
  parse: (text) => text,
};
function build() {
  const handlers = { onData: function (d) { return d; } };
  return handlers;
}
const settings = { retries: 2, nested: { deep: function () {} } };
"""
    found = [(c.kind, c.symbol, c.start_line, c.end_line) for c in parse_file("lib/worker.js", source, "javascript")
             if c.kind != "module"]
    assert found == [
        ("function", "Worker", 1, 1),
        ("method", "Worker.push", 3, 3),
        ("method", "Worker.flush", 4, 4),
        ("method", "out.generateAsync", 8, 8),
        ("function", "parse", 11, 11),
        ("function", "build", 13, 16),
        ("method", "settings.nested.deep", 17, 17),
    ]
    ts = "export const traps: ProxyHandler<State> = {\n  get(state, prop) { return state[prop]; },\n};\n"
    found = [(c.kind, c.symbol) for c in parse_file("src/proxy.ts", ts, "typescript")]
    assert found == [("method", "traps.get")]


def test_methods_of_a_class_expression_are_qualified_by_its_name() -> None:
    # koa writes `module.exports = class Application {...}`: without this, its methods came out as bare
    # `listen` and `use`, with no class to browse or to match a question naming the application.
    source = """\
module.exports = class Application extends Emitter {
  listen(port) { return port; }
};
const Store = class {
  get(key) { return key; }
};
function make() { return class { hidden() {} }; }
"""
    found = [(c.kind, c.symbol) for c in parse_file("lib/application.js", source, "javascript")
             if c.kind != "module"]
    assert found == [
        ("class", "Application"),
        ("method", "Application.listen"),
        ("class", "Store"),
        ("method", "Store.get"),
        ("function", "make"),
    ]


def test_a_function_assigned_to_module_exports_keeps_its_own_name() -> None:
    # passport's middleware is `module.exports = function authenticate(...)`: listed as `module.exports`, no
    # one could browse to it or find it by the name its authors gave it.
    source = """\
module.exports = function authenticate(passport, name) { return name; };
exports = module.exports = function initialize(passport) { return passport; };
module.exports = function (str, opts) { return str; };
exports.parse = function parseQuery(text) { return text; };
"""
    found = [(c.kind, c.symbol) for c in parse_file("lib/middleware.js", source, "javascript")]
    assert found == [("function", "authenticate"), ("function", "initialize"), ("method", "module.exports"),
                     ("function", "parse")]


def test_long_symbol_is_split_and_every_part_keeps_the_signature() -> None:
    body = "\n".join(f"    total += compute_{n}(value, {n})" for n in range(120))
    source = f"import os\n\n\ndef crunch(\n    value: int,\n) -> int:\n    total = 0\n{body}\n    return total\n"
    parts = [c for c in parse_file("calc.py", source, "python", max_chars=1000) if c.symbol == "crunch"]
    assert len(parts) > 2
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert all(p.parts == len(parts) and len(p.code) <= 1000 for p in parts)
    assert all(p.code.startswith("def crunch(\n    value: int,\n) -> int:\n") for p in parts)
    assert parts[0].start_line == 4 and parts[-1].end_line == 128
    assert all(a.end_line + 1 == b.start_line for a, b in zip(parts, parts[1:]))
    assert all(p.signature == "def crunch( value: int, ) -> int:" for p in parts)
    assert len({p.summary for p in parts}) == 1


def test_typer_sources_parse_and_every_line_is_covered() -> None:
    files = typer_files()
    assert len(files) > 10
    symbols: set[str] = set()
    for file in files:
        text = file.read_text(encoding="utf-8")
        chunks = parse_file(f"typer/{file.name}", text, "python")
        symbols |= {c.symbol for c in chunks}
        covered = {n for c in chunks for n in range(c.start_line, c.end_line + 1)}
        missing = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() and n not in covered]
        assert not missing, f"{file.name}: lines {missing[:10]} are in no chunk"
        assert all(c.summary.startswith("[python] ") for c in chunks)
    assert {"Typer.command", "Typer.add_typer", "Typer.callback", "Option", "Argument", "run"} <= symbols


def test_parse_file_is_thread_safe() -> None:
    jobs = [(f"typer/{f.name}", f.read_text(encoding="utf-8")) for f in typer_files()] * 3
    jobs += [(path, source) for path, source, _ in CASES.values()]
    languages = [detect_language(path) for path, _ in jobs]

    def run(item: tuple[tuple[str, str], str]) -> list[tuple[str, int, int, str]]:
        (path, source), language = item
        return [(c.symbol, c.start_line, c.end_line, c.summary) for c in parse_file(path, source, language)]

    expected = [run(item) for item in zip(jobs, languages)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(run, zip(jobs, languages))) == expected


def test_crlf_empty_and_comment_only_files() -> None:
    path, source, _ = CASES["go"]
    lf = [(c.symbol, c.start_line, c.end_line, c.code) for c in parse_file(path, source, "go")]
    crlf = [(c.symbol, c.start_line, c.end_line, c.code) for c in parse_file(path, source.replace("\n", "\r\n"), "go")]
    assert crlf == lf
    assert parse_file("empty.py", "", "python") == []
    assert parse_file("blank.rs", "\n\n  \n", "rust") == []
    only = parse_file("notes.py", "# just a note\n# and another\n", "python")
    assert [(c.kind, c.code) for c in only] == [("module", "# just a note\n# and another")]


@pytest.mark.parametrize("language", sorted(SOURCE_LANGUAGES))
def test_broken_files_do_not_raise(language: str) -> None:
    garbage = [
        "def (((\n class { fn } }}} <<< \x00 \ufffd\n" * 5,
        "function f( {\n  if (x {\n    return [1, 2\n}\nclass\n",
        "}" * 200 + "{" * 200,
        "\ufeff/* unterminated comment\n" + "x = 1\n" * 10,
        "\n".join("(" * n for n in range(60)),
    ]
    for text in garbage:
        chunks = parse_file(f"broken.{language}", text, language, max_chars=300)
        assert all(c.summary for c in chunks)
        assert all(1 <= c.start_line <= c.end_line for c in chunks)
