"""Which files of a repository an import names, by each language's rules.

Imports are stored as written (index/chunks.Import) and resolved here, against the repository's files as
they are now: a file added or removed elsewhere then changes no stored row, and a changed file's imports
are all that ingest rewrites. Only files inside the repository are found; the standard library and
packages from elsewhere stay unresolved (an empty list).

Where a language says where to look (a relative path, a Rust "mod", Python's packages) that is followed; so
are the build files that say it where they are read (a tsconfig.json's baseUrl and paths, a Package.swift's
targets). Elsewhere (include paths, Java source roots) the path is matched as the tail of a file's path, and
of several files the one nearest the importing file wins.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from ..index.chunks import Import

_JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JVM_EXTENSIONS = {"java": (".java", ".kt"), "kotlin": (".kt", ".kts", ".java"), "scala": (".scala", ".java")}
_RUST_ROOTS = ("lib.rs", "main.rs")
_PY_ROOTS = frozenset({"src", "lib", "python"})
_GO_MODULE = re.compile(r"(?m)^\s*module\s+(\S+)")
_SWIFT_SOURCES = ("Sources", "Source", "src", "srcs")  # where SwiftPM looks for a target's folder by default
_SWIFT_TARGET = re.compile(r"\.(target|executableTarget|testTarget|macro|plugin)\s*\(")
_JSON_NOISE = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.S)


@dataclass(frozen=True)
class TsConfig:
    """What a tsconfig.json (or jsconfig.json) says about bare imports, its paths from the repository's root."""
    base: str | None  # compilerOptions.baseUrl; None when not set
    paths: tuple[tuple[str, tuple[str, ...]], ...] = ()  # compilerOptions.paths: pattern -> where to look


class Resolver:
    """The files of one repository, indexed for resolving imports. ``provides``: namespace -> files that
    declare it (C#); ``defines``: path -> the top-level names its chunks define (a Kotlin or Scala class
    need not live in a file of its own name); ``go_modules``: folder of a go.mod -> its module path;
    ``ts_configs``: folder -> its tsconfig (``ts_configs``); ``swift_modules``: module -> its folder
    (``swift_modules``). ``build_settings`` makes the last three from the build files."""

    def __init__(self, paths: Iterable[str], provides: dict[str, list[str]] | None = None,
                 defines: dict[str, set[str]] | None = None, go_modules: dict[str, str] | None = None,
                 ts_configs: dict[str, TsConfig] | None = None, swift_modules: dict[str, str] | None = None) -> None:
        self.paths = set(paths)
        self.provides = provides or {}
        self.defines = defines or {}
        self.go_modules = go_modules or {}
        self.ts_configs = ts_configs or {}
        self.swift_modules = swift_modules or {}
        self._under: dict[tuple[str, str], list[str]] = {}
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

    def files_under(self, folder: str, extension: str) -> list[str]:
        """The files of ``folder`` and its subfolders that end with ``extension``."""
        key = (folder, extension)
        if key not in self._under:
            prefix = folder + "/" if folder else ""
            self._under[key] = sorted(p for p in self.paths if p.startswith(prefix) and p.endswith(extension))
        return self._under[key]


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
        return _js_file(r, _join(posixpath.dirname(source), module))
    config = _ts_config_of(r, source)
    if config is not None:
        for base in _ts_candidates(config, module):
            found = _js_file(r, base)
            if found:
                return found
    if module.startswith(("@/", "~/")):  # the usual alias of the source folder
        return _js_file(r, "src/" + module[2:])
    if "/" in module and module.split("/")[0] in r.top_folders:
        return _js_file(r, module)  # a base URL at the repository's root
    return []


def _ts_config_of(r: Resolver, source: str) -> TsConfig | None:
    """The tsconfig that governs ``source``: the nearest one in its folder or above."""
    folder = posixpath.dirname(source)
    while True:
        if folder in r.ts_configs:
            return r.ts_configs[folder]
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def _ts_candidates(config: TsConfig, module: str) -> list[str | None]:
    """Where a bare import may be, by the config's paths (the longest matching prefix first), then baseUrl."""
    matched = []
    for pattern, targets in config.paths:
        prefix, star, suffix = pattern.partition("*")
        if star and module.startswith(prefix) and module.endswith(suffix) and len(module) >= len(pattern) - 1:
            matched.append((len(prefix), [t.replace("*", module[len(prefix): len(module) - len(suffix)], 1)
                                          for t in targets]))
        elif not star and module == pattern:
            matched.append((len(pattern) + 1, list(targets)))
    found = [t for _n, targets in sorted(matched, key=lambda m: -m[0]) for t in targets]
    return found + ([_join(config.base, module)] if config.base is not None else [])


def _js_file(r: Resolver, base: str | None) -> list[str]:
    """The file an import path names: as written, with an extension, or a folder's index file."""
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
            if folders:
                return r.folder_files(_nearest(folders, source), extensions)
            # else a class's members ("import static a.B.*", Kotlin's "import a.B.*"): B's file, found below
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


def defined_names(symbol: str, language: str) -> set[str]:
    """The top-level names a chunk's symbol stands for, that an import can name: its first part (a class of
    "Class.method"); in Kotlin also the last, as an extension function "Receiver.name" is imported by its name."""
    first, _dot, rest = symbol.partition(".")
    return {first, rest.rsplit(".", 1)[-1]} if rest and language == "kotlin" else {first}


def _defined_in_package(r: Resolver, package: list[str], name: str, source: str, extensions) -> str | None:
    folders = r.folders_ending("/".join(package)) if package else []
    files = [p for d in folders for p in r.folder_files(d, extensions) if name in r.defines.get(p, ())]
    return _nearest(files, source) if files else None


def _swift(r: Resolver, source: str, imp: Import) -> list[str]:
    """A module is a folder of files (a SwiftPM target's, by its Package.swift, else a folder of its name):
    an import names every Swift file in it."""
    module = imp.module.split(".")[0]
    folder = r.swift_modules.get(module)
    if folder is None:
        folders = [d for d in r._dirs if posixpath.basename(d) == module and r.files_under(d, ".swift")]
        folder = _nearest(folders, source) if folders else None
    return r.files_under(folder, ".swift") if folder is not None else []


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
    "csharp": _csharp, "ruby": _ruby, "php": _php, "lua": _lua, "bash": _bash, "swift": _swift,
}
RESOLVED_LANGUAGES = frozenset(_RULES)


# -- the build files that say where modules are -------------------------------------------------------

def is_build_file(path: str) -> bool:
    name = posixpath.basename(path)
    return (name in ("go.mod", "Package.swift")
            or (name.startswith(("tsconfig", "jsconfig")) and name.endswith(".json") and "node_modules/" not in path))


def build_settings(texts: dict[str, str], paths: Iterable[str]):
    """``Resolver``'s go_modules, ts_configs and swift_modules from the build files' texts (path -> text)."""
    go_modules = {posixpath.dirname(path): match.group(1) for path, text in texts.items()
                  if posixpath.basename(path) == "go.mod" and (match := _GO_MODULE.search(text))}
    return (go_modules, ts_configs({p: t for p, t in texts.items() if p.endswith(".json")}),
            swift_modules({p: t for p, t in texts.items() if p.endswith("Package.swift")}, paths))


def ts_configs(texts: dict[str, str]) -> dict[str, TsConfig]:
    """folder -> the baseUrl and paths of its tsconfig.json or jsconfig.json, with what it ``extends`` from
    another config of the repository; ``texts``: path -> text of the repository's tsconfig*.json and
    jsconfig*.json files. A config that cannot be read counts as absent."""
    options = {path: _compiler_options(text) for path, text in texts.items()}

    def merged(path: str, depth: int = 0) -> dict:
        own = options.get(path)
        if own is None or depth > 8:
            return {}
        parent = own.get("extends")
        inherited = {}
        if isinstance(parent, str) and parent.startswith("."):
            target = _join(posixpath.dirname(path), parent)
            if target is not None:
                inherited = merged(target if target.endswith(".json") else target + ".json", depth + 1)
        out = dict(inherited)
        folder = posixpath.dirname(path)
        if isinstance(own.get("baseUrl"), str):
            out["baseUrl"] = _join(folder, own["baseUrl"])
        if isinstance(own.get("paths"), dict):
            out["paths"] = (folder, own["paths"])
        return out

    configs: dict[str, TsConfig] = {}
    for path in options:
        if posixpath.basename(path) not in ("tsconfig.json", "jsconfig.json"):
            continue  # tsconfig.base.json and the like count through "extends"
        found = merged(path)
        base = found.get("baseUrl")
        where, paths = found.get("paths", ("", {}))
        relative_to = base if base is not None else where  # paths without baseUrl: from the config's folder
        table = tuple((pattern, tuple(t for t in (_join(relative_to or "", target) for target in targets
                                                  if isinstance(target, str)) if t is not None))
                      for pattern, targets in paths.items() if isinstance(targets, list))
        if base is not None or table:
            configs.setdefault(posixpath.dirname(path), TsConfig(base, table))
    return configs


def _compiler_options(text: str) -> dict | None:
    """The parts of a tsconfig this needs ("extends" beside compilerOptions' own), read as TypeScript does:
    JSON with comments and trailing commas."""
    try:
        data = json.loads(_JSON_NOISE.sub(lambda m: m.group(1) or "", text))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    options = data.get("compilerOptions")
    out = dict(options) if isinstance(options, dict) else {}
    out["extends"] = data.get("extends")
    return out


def swift_modules(manifests: dict[str, str], paths: Iterable[str]) -> dict[str, str]:
    """module -> its folder, from each Package.swift's targets (``manifests``: path -> text): a target's
    ``path:``, else SwiftPM's default folder (Sources/<name>, Tests/<name> for a test target) where it exists."""
    folders = {posixpath.dirname(p) for p in paths}
    modules: dict[str, str] = {}
    for manifest, text in sorted(manifests.items()):
        root = posixpath.dirname(manifest)
        for match in _SWIFT_TARGET.finditer(text):
            body = _balanced(text, match.end())
            name = re.search(r'\bname:\s*"([^"]+)"', body)
            if name is None:
                continue
            path = re.search(r'\bpath:\s*"([^"]+)"', body)
            if path is not None:
                candidates = [path.group(1)]
            elif match.group(1) == "testTarget":
                candidates = [f"Tests/{name.group(1)}"]
            else:
                candidates = [f"{top}/{name.group(1)}" for top in _SWIFT_SOURCES]
            for candidate in candidates:
                folder = _join(root, candidate)
                if folder is not None and any(f == folder or f.startswith(folder + "/") for f in folders):
                    modules.setdefault(name.group(1), folder)
                    break
    return modules


def _balanced(text: str, start: int) -> str:
    """The text from ``start`` to the parenthesis that closes the one just before it."""
    depth = 1
    for at in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[at], 0)
        if depth == 0:
            return text[start:at]
    return text[start:]
