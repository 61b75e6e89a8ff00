"""What `pharos-desktop doctor` and the Diagnostics view report about this machine and index."""

from __future__ import annotations

import platform
import sys
from contextlib import closing
from pathlib import Path

from ..resources import resource_path
from .index.catalog import RepoRecord
from .index.catalog_file import damaged
from .catalog_repair import catalog_problem, emptied_catalog_problem, ingest_command
from .errors import CatalogDamaged, PharosError
from .logs import LOG_NAME
from .parse import grammar_status
from .workspace import Workspace


def _folder_bytes(folder: Path) -> int:
    if not folder.exists():
        return 0
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def diagnose(workspace: Workspace, load_model: bool = True) -> dict:
    settings = workspace.settings
    problems: list[str] = []
    report: dict = {"python": sys.version.split()[0], "platform": platform.platform(), "device": "unknown",
                    "gpu": "", "torch": "", "model": settings.model, "dim": 0, "model_device": "",
                    "runtime_setting": settings.runtime, "runtime": "", "query_runtime": ""}
    try:
        import torch

        report["torch"] = torch.__version__
        if torch.cuda.is_available():
            report["device"], report["gpu"] = "cuda", torch.cuda.get_device_name(0)
        elif torch.backends.mps.is_available():
            report["device"], report["gpu"] = "mps", "Apple GPU"
        else:
            report["device"] = "cpu"
    except ImportError as exc:
        problems.append(f"torch is not installed: {exc}")
    if load_model:
        try:
            embedder = workspace.embedder()
            report["dim"], report["model_device"] = embedder.dim, embedder.device
            report["runtime"] = embedder.made_by
            report["query_runtime"] = workspace.query_embedder().made_by
        except PharosError as exc:
            problems.append(str(exc))
    grammars = grammar_status()
    problems.extend(f"grammar {lang} does not load: {err}" for lang, err in grammars.items() if err)
    icon = resource_path("icons", "pharos.svg")
    if not icon.is_file():
        problems.append(f"the app icon {icon} is missing: reinstall Pharos Desktop")
    report.update({
        "grammars": grammars,
        "data_folder": str(workspace.data_folder),
        "vectors": settings.chroma_url or str(workspace.vectors_dir),
        "index_bytes": workspace.catalog.size_bytes() + _folder_bytes(workspace.vectors_dir),
        **_index(workspace, problems),
        "log_file": str(workspace.logs_dir / LOG_NAME),
        "resources": str(resource_path()),
        "problems": problems,
        "ok": not problems,
    })
    return report


def _index(workspace: Workspace, problems: list[str]) -> dict:
    """What the index holds, and whether it is whole: the catalog file by SQLite's own check, a catalog
    emptied while the data folder still holds checkouts or vectors, and per repository the vectors of its
    chunks (counts, and a query that fails when the store lists a chunk its index lacks)."""
    catalog = workspace.catalog
    figures: dict = {"index_runtimes": {}, "repos": 0, "chunks": 0}
    problem = catalog_problem(catalog.path)
    if problem:
        problems.append(str(damaged(catalog.path, problem)))
        return figures
    try:
        repos = catalog.list_repos()
        figures.update(index_runtimes=catalog.runtimes(), repos=len(repos), chunks=catalog.count_chunks())
        found = [emptied_catalog_problem(workspace)]
        found += [_vector_gap(workspace, repo) for repo in repos if repo.chunks and repo.model]
        problems.extend(problem for problem in found if problem)
    except CatalogDamaged as exc:  # damage that the check did not reach
        problems.append(str(exc))
    return figures


def _vector_gap(workspace: Workspace, repo: RepoRecord) -> str:
    """The problem when the vector store lacks vectors of the repository's chunks; "" when it holds them all."""
    stored = workspace.catalog.chunk_ids(repo.repo_id)
    store = workspace.vectors()
    if store.existing_collection(repo.model, repo.dim, repo.repo_id) is None:
        lacking = stored
    else:
        with closing(store.repo_vectors(repo.model, repo.dim, repo.repo_id)) as collection:
            lacking = collection.lacking(stored, collection.ids())
    if not lacking:
        return ""
    command = ingest_command(repo.repo_id, repo.source, repo.branch)
    return (f"repository {repo.name}: the vector store lacks the vectors of {len(lacking)} of {len(stored)} chunks, "
            f"so semantic search leaves them out: run {command or 'pharos-desktop ingest <its URL or folder>'}")
