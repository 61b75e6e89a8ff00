"""Ingestor: one repository, from a URL or folder to a searchable index, re-runnable and resumable.

Stages: clone (or open) -> scan -> parse/embed/store (pipeline.py). The model loads in the
background while the clone and scan run. Re-ingesting updates in place: files whose size and mtime
(or, failing that, content hash) are unchanged are not read, parsed or embedded again; deleted files
leave the catalog and the vectors; a model change re-embeds everything into that model's collection.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field

from .cancel import CancelToken
from .catalog import FileRecord, RepoRecord
from .errors import Cancelled, PharosError
from .embedder import expected_window_chars, made_by
from .events import Emit, JobCancelled, JobFailed, JobFinished, JobStarted, StageMessage, StageProgress
from .files import BINARY, FileEntry, scan_files
from .pipeline import UNSUPPORTED_TYPE, Pipeline, PipelineStats
from .secrets import GIT_TOKEN, get_secret
from .repo_lock import repo_lock
from .source import CREDENTIALS_IGNORED, GitAccess, open_source, parse_source
from .workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    repo: str
    repo_id: str
    source: str
    commit: str
    files: int  # indexed files the index holds for the repo after this run
    chunks: int
    skipped: int
    skipped_reasons: dict[str, int]
    embedded: int  # chunks embedded in this run
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    reused: int = 0  # files left as they were

    def as_dict(self) -> dict:
        return asdict(self)


def _load_in_background(workspace: Workspace) -> Future:
    future: Future = Future()

    def load() -> None:
        try:
            future.set_result(workspace.embedder())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            future.set_exception(exc)

    threading.Thread(target=load, name="pharos-model-load", daemon=True).start()
    return future


class _LazyCollection:
    """Opens Chroma only when a vector must be read or written: an unchanged re-ingest never needs it.

    When the model is still loading, its dimension (part of the collection's name) is taken from it
    on first use; by then the embed stage has waited for it anyway.
    """

    def __init__(self, workspace: Workspace, model: str, dim: int, model_future: Future | None) -> None:
        self._workspace, self._model, self._dim, self._future = workspace, model, dim, model_future
        self._collection = None

    def __getattr__(self, name: str):
        if self._collection is None:
            dim = self._dim or self._future.result().dim
            self._collection = self._workspace.vectors().collection(self._model, dim)
        return getattr(self._collection, name)


class Ingestor:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def ingest(self, source: str, branch: str | None = None, *, emit: Emit, cancel: CancelToken,
               job_id: str | None = None) -> IngestResult:
        """Blocking: run it off the UI thread. Emits events, returns the result or raises PharosError."""
        job_id = job_id or uuid.uuid4().hex[:12]
        catalog = self.workspace.catalog
        spec = None
        owned = False  # the job and the repository's rows are ours to update only while we hold its lock
        with ExitStack() as held:
            try:
                spec = parse_source(source, branch)
                emit(JobStarted(job_id, "ingest", spec.display + (f" @ {branch}" if branch else "")))
                if spec.credentials_stripped:
                    emit(StageMessage(job_id, CREDENTIALS_IGNORED, "warning"))
                busy = f"waiting: {spec.display} is being ingested by another window or command"
                held.enter_context(repo_lock(self.workspace.data_folder, spec.repo_id, cancel=cancel,
                                             on_wait=lambda: emit(StageMessage(job_id, busy))))
                owned = True
                # The request is what a resume runs again: never the credentials a pasted URL held.
                request = {"source": spec.location if spec.credentials_stripped else source, "branch": branch}
                catalog.start_job(job_id, "ingest", spec.repo_id, request)
                result = self._run(spec, branch, emit, cancel, job_id)
            except Cancelled:
                if owned:
                    catalog.finish_job(job_id, "cancelled")
                    if catalog.find_repo(spec.repo_id):
                        catalog.set_repo_state(spec.repo_id, "interrupted")
                emit(JobCancelled(job_id, resumable=spec is not None))
                raise
            except PharosError as exc:
                self._fail(job_id, spec if owned else None, str(exc), traceback.format_exc(), emit)
                raise
            except Exception as exc:  # noqa: BLE001 - unexpected: one line for the user, the rest in the log
                log.exception("ingest failed")
                self._fail(job_id, spec if owned else None, f"ingest failed unexpectedly: {exc}",
                           traceback.format_exc(), emit)
                raise PharosError(f"ingest failed unexpectedly: {exc}") from exc
            catalog.finish_job(job_id, "done", result.as_dict())
        emit(JobFinished(job_id, result.as_dict()))
        return result

    def _fail(self, job_id: str, spec, message: str, detail: str, emit: Emit) -> None:
        catalog = self.workspace.catalog
        if spec is not None:
            catalog.finish_job(job_id, "failed", error=message)
            if catalog.find_repo(spec.repo_id):
                catalog.set_repo_state(spec.repo_id, "failed", message)
        emit(JobFailed(job_id, message, detail))

    def _run(self, spec, branch: str | None, emit: Emit, cancel: CancelToken, job_id: str) -> IngestResult:
        started = time.perf_counter()
        stage_seconds: dict[str, float] = {}
        workspace, catalog, settings = self.workspace, self.workspace.catalog, self.workspace.settings
        previous = catalog.find_repo(spec.repo_id)
        model_changed = bool(previous and previous.model and previous.model != settings.model)
        # A repository indexed with this model may need no embedding at all (unchanged re-ingest), so the
        # model only starts loading early for new repositories; for the others it loads once work shows up.
        model_future = None if previous and previous.model and not model_changed else _load_in_background(workspace)

        began = time.perf_counter()
        emit(StageProgress(job_id, "clone", 0, None, "objects"))
        access = GitAccess(get_secret(GIT_TOKEN), tuple(h.strip().lower() for h in settings.git_token_hosts),
                           settings.git_timeout)
        checkout = open_source(spec, branch, workspace.clones_dir, access=access, emit=emit, job_id=job_id,
                               cancel=cancel)
        emit(StageProgress(job_id, "clone", 1, 1, "objects"))
        stage_seconds["clone"] = time.perf_counter() - began
        cancel.raise_if_cancelled()

        repo = RepoRecord(spec.repo_id, spec.name, spec.display, spec.kind, spec.web_base,
                          checkout.branch, checkout.commit, str(checkout.path),
                          state="ingesting", created_at=previous.created_at if previous else time.time(),
                          ingested_at=previous.ingested_at if previous else None)
        if previous:
            repo.model, repo.dim = previous.model, previous.dim
        catalog.upsert_repo(repo)

        began = time.perf_counter()
        scan = scan_files(checkout.path, settings, emit=emit, job_id=job_id, cancel=cancel)
        stage_seconds["scan"] = time.perf_counter() - began

        known = catalog.file_states(spec.repo_id)
        if model_changed:
            emit(StageMessage(job_id, f"model changed from {previous.model} to {settings.model}: re-embedding"))
            old = workspace.vectors().existing_collection(previous.model, previous.dim)
            if old is not None:
                old.delete_repo(spec.repo_id)
            catalog.delete_files(spec.repo_id, list(known))
            known = {}
        todo, reused = self._plan(scan.files, known)
        if todo and model_future is None:
            model_future = _load_in_background(workspace)
        if model_future is None or (todo and previous and previous.dim and not model_changed):
            model, dim = previous.model, previous.dim
        elif todo:
            # The pipeline waits for the model itself, so parsing overlaps the load; deleting vectors needs
            # the collection, which needs the model's dimension, so it resolves lazily below.
            model, dim = settings.model, 0
        else:
            embedder = self._wait_for_model(model_future, cancel, emit, job_id)
            model, dim = embedder.name, embedder.dim
        collection = _LazyCollection(workspace, model, dim, model_future)
        if previous and previous.state != "ready" and not model_changed:
            self._reconcile(spec.repo_id, collection, emit, job_id)

        self._record_scan_skips(spec.repo_id, scan.skipped, known, collection)
        present = {e.path for e in scan.files} | {path for path, _ in scan.skipped}
        gone = [path for path in known if path not in present]
        if gone:
            collection.delete_paths(spec.repo_id, gone)
            catalog.delete_files(spec.repo_id, gone)
            emit(StageMessage(job_id, f"{len(gone)} deleted files removed from the index"))
        if reused:
            emit(StageMessage(job_id, f"{reused} unchanged files kept as they are"))

        stats = PipelineStats()
        if todo:
            if not model_future.done():
                emit(StageMessage(job_id, "loading the embedding model"))
            pipeline = Pipeline(repo_id=spec.repo_id, catalog=catalog, collection=collection, embedder=model_future,
                                window_chars=expected_window_chars(settings), batch_size=settings.batch_size,
                                max_file_bytes=settings.max_file_bytes, include_code=settings.embed_code, emit=emit,
                                job_id=job_id, cancel=cancel, parse_workers=settings.parse_workers or settings.max_cores)
            stats = pipeline.run(todo, known)
            if stats.embedded or not dim or model != settings.model:  # else: no need to wait for the model
                embedder = model_future.result()
                model, dim = embedder.name, embedder.dim
        stage_seconds.update(stats.stage_seconds)
        runtime = previous.runtime if previous and not model_changed else ""
        if stats.embedded:
            runtime = made_by(runtime if reused or stats.unchanged else "", model_future.result().made_by)

        if stats.embedded or stats.parsed or gone:
            workspace.refresh_search_snapshot(model, dim)  # so a search from a fresh process needs no Chroma
        catalog.set_repo_state(spec.repo_id, "ready", commit=checkout.commit, branch=checkout.branch,
                               ingested_at=time.time(), model=model, dim=dim, runtime=runtime)
        final = catalog.find_repo(spec.repo_id)
        assert final is not None
        return IngestResult(final.name, final.repo_id, final.source, final.commit, final.files, final.chunks,
                            final.skipped, catalog.skip_reasons(spec.repo_id), stats.embedded,
                            round(time.perf_counter() - started, 3), {k: round(v, 3) for k, v in stage_seconds.items()},
                            reused + stats.unchanged)

    @staticmethod
    def _wait_for_model(future: Future, cancel: CancelToken, emit: Emit, job_id: str):
        if not future.done():
            emit(StageMessage(job_id, "loading the embedding model"))
        while True:
            cancel.raise_if_cancelled()
            try:
                return future.result(timeout=0.1)
            except TimeoutError:
                continue

    @staticmethod
    def _plan(entries: list[FileEntry], known: dict[str, FileRecord]) -> tuple[list[FileEntry], int]:
        """Files to read now; those whose size and mtime match an indexed row are reused unread."""
        todo, reused = [], 0
        for entry in entries:
            before = known.get(entry.path)
            # A file skipped for what its bytes are stays skipped while they are the same; reading it again
            # would make an unchanged repository load the model and open the vector store for nothing.
            kept = before and (before.skip_reason is None and before.content_hash
                               or before.skip_reason in (BINARY, UNSUPPORTED_TYPE))
            if kept and before.size == entry.size and before.mtime_ns == entry.mtime_ns:
                reused += 1
            else:
                todo.append(entry)
        return todo, reused

    def _record_scan_skips(self, repo_id: str, skipped: list[tuple[str, str]], known: dict[str, FileRecord],
                           collection) -> None:
        catalog = self.workspace.catalog
        was_indexed = [path for path, _ in skipped if known.get(path) and known[path].skip_reason is None]
        if was_indexed:
            collection.delete_paths(repo_id, was_indexed)
        changed = [FileRecord(path, None, 0, 0, "", reason) for path, reason in skipped
                   if not known.get(path) or known[path].skip_reason != reason]
        if changed:
            catalog.record_skipped(repo_id, changed)

    def _reconcile(self, repo_id: str, collection, emit: Emit, job_id: str) -> None:
        """After an interrupted run: drop vectors whose file never reached the catalog."""
        stored = self.workspace.catalog.chunk_ids(repo_id)
        orphans = list(collection.ids_for_repo(repo_id) - stored)
        if orphans:
            collection.delete_ids(orphans)
        emit(StageMessage(job_id, f"resuming: {len(stored)} chunks already stored"
                          + (f", {len(orphans)} unfinished vectors dropped" if orphans else "")))

