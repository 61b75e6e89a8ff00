"""Sample git repositories, built locally (no network): the one place that makes them, for the tests, the
benchmarks and the screenshot tool. Every repository gets a local identity, so commits work on a machine
without any git configuration."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import git


def init_repo(path: Path, branch: str = "main") -> git.Repo:
    """An empty repository at ``path`` (created if missing) with its own committer identity."""
    path.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(path, initial_branch=branch)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Pharos Samples")
        config.set_value("user", "email", "samples@pharos.invalid")
        config.set_value("core", "autocrlf", "false")
        config.set_value("core", "quotePath", "false")
    return repo


def write_file(root: Path, rel: str, content: str | bytes) -> None:
    """Write ``content`` at ``root/rel`` as given: text as UTF-8 with no newline translation, on any platform."""
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def commit_all(path: Path, message: str) -> str:
    """Stage everything in the working tree that the ignore rules allow, commit it, return the commit."""
    with git.Repo(path) as repo:
        repo.git.add(A=True)
        repo.git.commit(m=message, no_verify=True, allow_empty=True)
        return repo.head.commit.hexsha


def add_commit(repo_path: Path, files: dict[str, str | bytes | None], message: str = "update") -> str:
    """Write (str/bytes) or delete (None) files, commit them all (ignored or not), and return the new commit."""
    repo_path = Path(repo_path)
    with git.Repo(repo_path) as repo:
        for rel, content in files.items():
            if content is None:
                repo.git.rm("-q", "--", rel)
            else:
                write_file(repo_path, rel, content)
                repo.git.add("-f", "--", rel)
        repo.git.commit(m=message, no_verify=True, allow_empty=True)
        return repo.head.commit.hexsha


def package_source(package: str) -> Path | None:
    """The folder of an installed package's Python sources; None when it has none (inside a bundle the
    package is compiled into an archive)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0])
    return folder if any(folder.glob("*.py")) else None


def make_package_repo(target: Path, *packages: str, limit: int | None = None) -> Path:
    """A real codebase nobody here wrote: each package's .py files (the first ``limit`` per package, sorted)
    committed into a fresh repository at ``target``. Raises LookupError when a package has no sources here."""
    for package in packages:
        source = package_source(package)
        if source is None:
            raise LookupError(f"no source files of {package} on this machine")
        files = sorted(p for p in source.rglob("*.py") if "__pycache__" not in p.parts)
        for path in files[:limit]:
            destination = target / package / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    init_repo(target)
    commit_all(target, "sources of " + ", ".join(packages))
    return target


def make_many_file_repo(path: Path, files: int) -> Path:
    """A repository of ``files`` small Python modules (a few chunks each), for runs that need many files."""
    init_repo(path)
    for n in range(files):
        write_file(path, f"pkg/part_{n // 40}/mod_{n:03d}.py",
                   f'"""Module {n}: arithmetic helpers."""\n\nimport math\n\n\n'
                   f"def scale_{n}(value: float) -> float:\n"
                   f'    """Scale a value by {n}."""\n    return math.fsum([value] * {n + 1})\n\n\n'
                   f"class Counter{n}:\n    def bump(self, by: int = {n}) -> int:\n        return by + 1\n")
    commit_all(path, "many files")
    return path
