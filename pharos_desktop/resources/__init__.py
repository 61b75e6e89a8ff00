"""The data files that ship inside the package: tree-sitter tag queries (queries/*.scm) and icons (icons/*.svg).

The one way to find them. ``importlib.resources`` resolves this package wherever it lives: a source
checkout, an installed wheel (pyproject.toml declares the files as package data) or a PyInstaller
bundle (build.spec collects them; its frozen importer answers with a real folder there too).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """A file or folder in here, e.g. ``resource_path("icons", "pharos.svg")``.

    A real path, since Qt and tree-sitter read files by name; packages are never installed zipped."""
    return Path(files(__name__).joinpath(*parts))
