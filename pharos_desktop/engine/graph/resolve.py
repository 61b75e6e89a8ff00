"""Which files of a repository an import names, by each language's rules.

Imports are stored as written (index/chunks.Import) and resolved here, against the repository's files as
they are now: a file added or removed elsewhere then changes no stored row, and a changed file's imports
are all that ingest rewrites. Only files inside the repository are found; the standard library and
packages from elsewhere stay unresolved (an empty list).

Where a language says where to look (a relative path, a Rust "mod", Python's packages) that is followed;
where the build decides (include paths, Java source roots, a TypeScript base URL) the path is matched as
the tail of a file's path, and of several files the one nearest the importing file wins.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from typing import Iterable

from ..index.chunks import Import

_JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JVM_EXTENSIONS = {"java": (".java", ".kt"), "kotlin": (".kt", ".kts", ".java"), "scala": (".scala", ".java")}
_RUST_ROOTS = ("lib.rs", "main.rs")
_PY_ROOTS = frozenset({"src", "lib", "python"})


class Resolver:
    """The files of one repository, indexed for resolving imports. ``provides``: namespace -> files that
    declare it (C#); ``defines``: path -> the top-level names its chunks define (a Kotlin or Scala class
    need not live in a file of its own name); ``go_modules``: folder of a go.mod -> its module path."""

    def __init__(self, paths: Iterable[str], provides: dict[str, list[str]] | None = None,
                 defines: dict[str, set[str]] | None = None, go_modules: dict[str, str] | None = None) -> None:
        self.paths = set(paths)
        self.provides = provides or {}
        self.defines = defines or {}
        self.go_modules = go_modules or {}
        self._by_name: dict[str, list[str]] = defaultdict(list)
        self._dirs: dict[str, list[str]] = defaultdict(list)
        for path in sorted(self.paths):
            self._by_name[posixpath.basename(path)].append(path)
            self._dirs[posixpath.dirname(path)].append(path)
        self.top_folders = {p.split("/", 1)[0] for p in self.paths if "/" in p} - {"node_modules"}
        self.crates = {posixpath.basename(posixpath.dirname(posixpath.dirname(p))).replace("-", "_"):
                        posixpath.dirname(p) for p in self.paths if p.endswith("src/lib.rs")}

    def resolve(self, source: str, language: str, imp: Import) -> list[str]:
        """The repository's files that ``imp``, written in ``source``, names; [] when none is inside it."""
        if imp.kind == "provides":
            return []
        found = _RULES[language](self, source, imp) if language in _RULES else []
        return [path for path in dict.fromkeys(found) if path != source]

    # -- finding files ------------------------------------------------------------------------

    def first(self, candidates: Iterable[str | None]) -> list[str]:
        """The first candidate that is a file of the repository, alone; else []."""
        for candidate in candidates:
            if candidate is not None and candidate in self.paths:
                return [candidate]
        return []

    def ending(self, tail: str, near: str, accept=None) -> list[str]:
        """The file whose path ends with ``tail`` ("a/b.h" matches "include/a/b.h"), the one nearest ``near``
        of several; ``accept(path, root)`` may refuse a match by the folder in front of the tail."""
        tail = tail.strip("/")
        matches = [p for p in self._by_name.get(posixpath.basename(tail), ())
                   if (p == tail or p.endswith("/" + tail))
                   and (accept is None or accept(p, p[: len(p) - len(tail)].rstrip("/")))]
        return [_nearest(matches, near)] if matches else []

    def folder_files(self, folder: str, extensions: tuple[str, ...]) -> list[str]:
        return [p for p in self._dirs.get(folder, ()) if p.endswith(extensions)]

    def folders_ending(self, tail: str) -> list[str]:
        tail = tail.strip("/")
        return [d for d in self._dirs if d == tail or d.endswith("/" + tail)]


def _nearest(paths: list[str], near: str) -> str:
    here = posixpath.dirname(near).split("/")

    def shared(path: str) -> int:
        parts = path.split("/")[:-1]
        n = 0
        while n < min(len(parts), len(here)) and parts[n] == here[n]:
            n += 1
        return n

    return min(paths, key=lambda p: (-shared(p), p.count("/"), p))


def _join(folder: str, relative: str) -> str | None:
    """``relative`` from ``folder``, normalised; None when it leaves the repository."""
    joined = posixpath.normpath(posixpath.join(folder, relative))
    return None if joined.startswith("..") or joined.startswith("/") else joined.removeprefix("./")


# -- the languages ------------------------------------------------------------------------------

def _python(r: Resolver, source: str, imp: Import) -> list[str]:
    module = imp.module
    if module.startswith("."):
        dots = len(module) - len(module.lstrip("."))
        folder: str | None = posixpath.dirname(source)
        for _ in range(dots - 1):
            folder = _join(folder or "", "..") if folder else None
        if folder is None:
            return []
        rest = module[dots:].replace(".", "/")
        base = _join(folder, rest) if rest else folder
        if base is None:
            return []
        named = [found for name in imp.names for found in r.first(_py_files(f"{base}/{name}" if base else name))]
        return named or r.first(_py_files(base) if rest else [f"{base}/__init__.py" if base else "__init__.py"])

    ancestors = {""}
    folder = posixpath.dirname(source)
    while folder:
        ancestors.add(folder)
        folder = posixpath.dirname(folder)

    def at_root(path: str, root: str) -> bool:
        """A folder on sys.path: one the importing file is in (its project's, or the one a script runs
        from), or one of the usual source folders; a script folder elsewhere is not one (its json.py is
        no "import json" of other files)."""
        return root in ancestors or (posixpath.basename(root) in _PY_ROOTS and f"{root}/__init__.py" not in r.paths)

    parts = module.split(".")
    named = [found for name in imp.names for tail in _py_files("/".join([*parts, name]))
             for found in r.ending(tail, source, at_root)][:len(imp.names)]
    if named:
        return named
    for n in range(len(parts), 0, -1):
        for tail in _py_files("/".join(parts[:n])):
            found = r.ending(tail, source, at_root)
            if found:
                return found
    return []


def _py_files(base: str) -> list[str]:
    return [f"{base}.py", f"{base}.pyi", f"{base}/__init__.py"]


def _js(r: Resolver, source: str, imp: Import) -> list[str]:
    module = imp.module.split("?")[0]
    if module.startswith("."):
        base = _join(posixpath.dirname(source), module)
    elif module.startswith(("@/", "~/")):  # the usual alias of the source folder
        base = "src/" + module[2:]
    elif "/" in module and module.split("/")[0] in r.top_folders:
        base = module  # a base URL at the repository's root
    else:
        return []
    if base is None:
        return []
    stem = base
    for ext in (".js", ".jsx", ".mjs", ".cjs"):  # TypeScript's ESM imports name the .js it compiles to
        if base.endswith(ext):
            stem = base[: -len(ext)]
    return r.first([base, *(stem + ext for ext in _JS_EXTENSIONS), *(f"{base}/index{ext}" for ext in _JS_EXTENSIONS)])


def _go(r: Resolver, source: str, imp: Import) -> list[str]:
    module = imp.module
    folder: str | None = None
    for root, name in r.go_modules.items():
        if module == name or module.startswith(name + "/"):
            folder = _join(root, module[len(name):].lstrip("/")) if root else module[len(name):].lstrip("/")
            break
    if folder is None:
        if "." not in module.split("/")[0]:
            return []  # the standard library: its paths have no host name
        folders = [d for d in r.folders_ending(module.split("/", 1)[-1]) if r.folder_files(d, (".go",))]
        folders = [d for d in folders if module.endswith("/" + d) or module == d]
        if not folders:
            return []
        folder = max(folders, key=len)
    return [p for p in r.folder_files(folder, (".go",)) if not p.endswith("_test.go")]


def _rust(r: Resolver, source: str, imp: Import) -> list[str]:
    own = _rust_module_folder(source)
    if imp.kind == "mod":
        return r.first([f"{own}/{imp.module}.rs", f"{own}/{imp.module}/mod.rs"])
    parts = imp.module.split("::")
    head = parts[0]
    if head == "crate":
        folder = _rust_crate_root(r, source)
        parts = parts[1:]
    elif head == "self":
        folder, parts = own, parts[1:]
    elif head == "super":
        folder = own
        while parts and parts[0] == "super":
            folder, parts = posixpath.dirname(folder), parts[1:]
    elif head in r.crates:
        folder, parts = r.crates[head], parts[1:]
    else:
        return []  # std, or a crate from crates.io
    if folder is None:
        return []
    for n in range(len(parts), -1, -1):
        inner = "/".join([folder, *parts[:n]]).strip("/")
        if n:
            found = r.first([f"{inner}.rs", f"{inner}/mod.rs"])
        else:  # the module itself: its folder's own file
            found = r.first([f"{inner}.rs", f"{inner}/mod.rs", *(f"{inner}/{root}" for root in _RUST_ROOTS)])
        if found:
            return found
    return []


def _rust_module_folder(source: str) -> str:
    """Where the modules that ``source`` declares live: beside a mod.rs, lib.rs or main.rs, else in a folder
    named after the file."""
    folder, name = posixpath.split(source)
    return folder if name in ("mod.rs", *_RUST_ROOTS) else posixpath.join(folder, name[:-3])


def _rust_crate_root(r: Resolver, source: str) -> str | None:
    folder = posixpath.dirname(source)
    while True:
        if any(posixpath.join(folder, root).lstrip("/") in r.paths for root in _RUST_ROOTS):
            return folder
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def _jvm(language: str):
    extensions = _JVM_EXTENSIONS[language]

    def resolve(r: Resolver, source: str, imp: Import) -> list[str]:
        parts = imp.module.split(".")
        if imp.kind == "wildcard":
            folders = r.folders_ending("/".join(parts))
            return r.folder_files(_nearest(folders, source), extensions) if folders else []
        names = [[*parts, name] for name in imp.names] or [parts]
        found: list[str] = []
        for parts in names:
            for n in range(len(parts), 1, -1):  # a class, or the class a static member or nested class is in
                hit = next((f for ext in extensions for f in r.ending("/".join(parts[:n]) + ext, source)), None)
                if hit is None:  # Kotlin and Scala: a class in a file of another name, in its package's folder
                    hit = _defined_in_package(r, parts[: n - 1], parts[n - 1], source, extensions)
                if hit is not None:
                    found.append(hit)
                    break
        return found

    return resolve


def _defined_in_package(r: Resolver, package: list[str], name: str, source: str, extensions) -> str | None:
    folders = r.folders_ending("/".join(package)) if package else []
    files = [p for d in folders for p in r.folder_files(d, extensions) if name in r.defines.get(p, ())]
    return _nearest(files, source) if files else None


def _c(r: Resolver, source: str, imp: Import) -> list[str]:
    return r.first([_join(posixpath.dirname(source), imp.module)]) or r.ending(imp.module, source)


def _csharp(r: Resolver, source: str, imp: Import) -> list[str]:
    return list(r.provides.get(imp.module, ()))


def _ruby(r: Resolver, source: str, imp: Import) -> list[str]:
    module = imp.module if imp.module.endswith(".rb") else imp.module + ".rb"
    if imp.kind == "relative":
        return r.first([_join(posixpath.dirname(source), module)])
    return r.first([f"lib/{module}", module]) or r.ending(f"lib/{module}", source)


def _php(r: Resolver, source: str, imp: Import) -> list[str]:
    if imp.kind == "relative":
        return r.first([_join(posixpath.dirname(source), imp.module)]) or r.ending(imp.module, source)
    parts = imp.module.split("\\")
    for n in range(len(parts), 1, -1):  # PSR-4: the namespace's first parts are a folder of another name
        found = r.ending("/".join(parts[-n:]) + ".php", source)
        if found:
            return found
    return []


def _lua(r: Resolver, source: str, imp: Import) -> list[str]:
    base = imp.module.replace(".", "/")
    return r.ending(f"{base}.lua", source) or r.ending(f"{base}/init.lua", source)


def _bash(r: Resolver, source: str, imp: Import) -> list[str]:
    return r.first([_join(posixpath.dirname(source), imp.module)]) or r.ending(imp.module, source)

_RULES = {
    "python": _python, "javascript": _js, "jsx": _js, "typescript": _js, "tsx": _js, "go": _go, "rust": _rust,
    "java": _jvm("java"), "kotlin": _jvm("kotlin"), "scala": _jvm("scala"), "c": _c, "cpp": _c,
    "csharp": _csharp, "ruby": _ruby, "php": _php, "lua": _lua, "bash": _bash,
}
RESOLVED_LANGUAGES = frozenset(_RULES)
