"""What the map of the code costs at ingest, and how many imports it resolves, on a real folder.

    python -m bench.graph_imports FOLDER [FOLDER ...]

For each folder (its files as git lists them, or all files under it): the time to chunk every source
file (parse_file, as ingest does) against the time the import query adds on the same trees, and per
language how many imports name a file of the folder; with several folders, the same shares over all of them
at the end (a markdown table). Nothing is embedded or stored.
"""

from __future__ import annotations

import posixpath
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from pharos_desktop.engine.graph.resolve import RESOLVED_LANGUAGES, Resolver, build_settings, defined_names, is_build_file
from pharos_desktop.engine.index.chunks import SYMBOL_KINDS
from pharos_desktop.engine.parse import SOURCE_LANGUAGES, detect_language, parse_file
from pharos_desktop.engine.parse.imports import imports_of
from pharos_desktop.engine.parse.languages import get_parser
from pharos_desktop.engine.parse import repair


def listed(folder: Path) -> list[str]:
    try:
        out = subprocess.run(["git", "-C", str(folder), "ls-files"], capture_output=True, text=True, check=True)
        found = [line for line in out.stdout.splitlines() if line]
    except (subprocess.CalledProcessError, FileNotFoundError):
        found = []
    # a folder inside another repository that ignores it (a virtualenv's package) lists nothing
    return found or [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()]


def read_folder(folder: Path) -> dict:
    """A folder's source files parsed as ingest parses them: their imports and a Resolver of the folder, and the
    time chunking and the import query took."""
    paths = [p for p in listed(folder) if detect_language(p) in SOURCE_LANGUAGES and (folder / p).is_file()]
    texts = {p: (folder / p).read_text("utf-8", "replace") for p in paths}
    chunk_seconds = import_seconds = 0.0
    imports, defines = {}, {}
    for path, text in texts.items():
        language = detect_language(path)
        started = time.perf_counter()
        chunks = parse_file(path, text, language)
        chunk_seconds += time.perf_counter() - started
        tree, _ = repair.parse(get_parser(language), language, text.encode("utf-8", "replace"))
        started = time.perf_counter()
        imports[path] = imports_of(tree.root_node, language)
        import_seconds += time.perf_counter() - started
        defines[path] = {name for c in chunks if c.kind in SYMBOL_KINDS for name in defined_names(c.symbol, language)}
    provides: dict[str, list[str]] = {}
    for path, found in imports.items():
        for imp in found:
            if imp.kind == "provides":
                provides.setdefault(imp.module, []).append(path)
    everything = listed(folder)
    build_files = {p: (folder / p).read_text("utf-8", "replace") for p in everything
                   if is_build_file(p) and (folder / p).is_file()}
    settings = build_settings(build_files, everything)
    return {"paths": paths, "imports": imports, "resolver": Resolver(paths, provides, defines, *settings),
            "go_modules": settings[0], "chunk_seconds": chunk_seconds, "import_seconds": import_seconds}


def measure(folder: Path) -> tuple[Counter, Counter, Counter, Counter]:
    read = read_folder(folder)
    paths, imports, resolver, go_modules = read["paths"], read["imports"], read["resolver"], read["go_modules"]
    chunk_seconds, import_seconds = read["chunk_seconds"], read["import_seconds"]
    started = time.perf_counter()
    total, resolved, own, own_resolved = Counter(), Counter(), Counter(), Counter()
    names = {part.removesuffix(".py") for p in paths for part in p.split("/")}
    folders = "".join(f"/{posixpath.dirname(p)}/" for p in paths)
    for path, found in imports.items():
        language = detect_language(path)
        for imp in found:
            if imp.kind != "provides" and language in RESOLVED_LANGUAGES:
                hit = bool(resolver.resolve(path, language, imp))
                total[language] += 1
                resolved[language] += hit
                if _looks_own(language, imp, names, go_modules, folders):
                    own[language] += 1
                    own_resolved[language] += hit
    resolve_seconds = time.perf_counter() - started
    print(f"{folder}: {len(paths)} source files; chunking {chunk_seconds:.2f} s, import query "
          f"{import_seconds:.2f} s (+{100 * import_seconds / max(chunk_seconds, 1e-9):.1f}%), "
          f"resolving {resolve_seconds:.2f} s")
    for language in sorted(total):
        line = (f"  {language:<11} {resolved[language]:>6} of {total[language]:>6} imports resolved to a file "
                f"({100 * resolved[language] / total[language]:.0f}%)")
        if own[language]:
            line += (f"; of those written as the repository's own, {own_resolved[language]} of {own[language]} "
                     f"({100 * own_resolved[language] / own[language]:.0f}%)")
        print(line)
    return total, resolved, own, own_resolved


def _looks_own(language: str, imp, names: set[str], go_modules: dict[str, str], folders: str) -> bool:
    """Whether an import is written as one of the repository's own modules, as far as its text tells
    (relative, or naming a folder or module of the repository): a rough denominator, for this report only."""
    module = imp.module
    if language == "python":
        return module.startswith(".") or module.split(".")[0] in names
    if language in ("javascript", "jsx", "typescript", "tsx"):
        return module.startswith((".", "@/", "~/"))
    if language in ("c", "cpp"):
        return True  # #include "..." (<...> is not captured)
    if language == "rust":
        return imp.kind == "mod" or module.split("::")[0] in ("crate", "self", "super")
    if language == "go":
        return any(module == m or module.startswith(m + "/") for m in go_modules.values())
    if language in ("java", "kotlin", "scala"):  # its first two parts (org.jsoup) a folder path of the repository
        return "/" + "/".join(module.split(".")[:2]) + "/" in folders
    if language == "swift":
        return module.split(".")[0] in names
    return False


def main(folders: list[Path]) -> None:
    sums = [Counter(), Counter(), Counter(), Counter()]
    repos: Counter = Counter()
    for folder in folders:
        counts = measure(folder)
        for into, counted in zip(sums, counts):
            into.update(counted)
        repos.update(counts[0].keys())
    if len(folders) < 2:
        return
    total, resolved, own, own_resolved = sums
    print("\n| language | repositories | imports | resolved to a file | written as the repository's own: resolved |")
    print("|---|---|---|---|---|")
    for language in sorted(total):
        share = f"{resolved[language]:,} ({100 * resolved[language] / total[language]:.0f}%)"
        mine = (f"{own_resolved[language]:,} of {own[language]:,} ({100 * own_resolved[language] / own[language]:.0f}%)"
                if own[language] else "")
        print(f"| {language} | {repos[language]} | {total[language]:,} | {share} | {mine} |")


if __name__ == "__main__":
    main([Path(argument) for argument in sys.argv[1:]])
