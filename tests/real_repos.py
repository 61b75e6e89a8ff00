"""Real codebases nobody here wrote: an installed package's source turned into a git repository."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import git


def package_source(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, f"{package} is not installed"
    return Path(list(spec.submodule_search_locations)[0])


def make_package_repo(target: Path, *packages: str, limit: int | None = None) -> Path:
    """Copy each package's .py files (at most ``limit`` per package, sorted) into a fresh git repo and commit."""
    for package in packages:
        source = package_source(package)
        files = sorted(p for p in source.rglob("*.py") if "__pycache__" not in p.parts)
        if limit is not None:
            files = files[:limit]
        for path in files:
            destination = target / package / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    repo = git.Repo.init(target, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Pharos Tests")
        config.set_value("user", "email", "tests@pharos.invalid")
    repo.git.add(A=True)
    repo.index.commit("sources of " + ", ".join(packages))
    return target
