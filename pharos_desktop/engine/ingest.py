"""Ingestor: one repository, from a URL or folder to a searchable index, re-runnable and resumable.

Stages: clone (or open) -> scan -> parse/embed/store (pipeline.py), into the repository's LocalIndex
(local_index.py). The model loads in the background while the clone and scan run. Re-ingesting updates
in place: files whose size and mtime (or, failing that, content hash) are unchanged are not read, parsed
or embedded again; deleted files leave the catalog and the vectors; a model change re-embeds everything
into that model's collection.
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field

from .cancel import CancelToken
from .errors import Cancelled, PharosError
from .embedder import expected_window_chars
from .events import Emit, JobCancelled, JobFailed, JobFinished, JobStarted, StageMessage, StageProgress
from .files import FileEntry, ScanResult, scan_files
from .local_index import LocalIndex
from .pipeline import Pipeline, PipelineStats
from .secrets import GIT_TOKEN, get_secret
from .repo_lock import repo_lock
from .source import CREDENTIALS_IGNORED, Checkout, GitAccess, open_source, parse_source
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
                held.enter_context(repo_lock(self.workspace.root, spec.repo_id, cancel=cancel, on_wait=lambda: emit(
                    StageMessage(job_id, f"waiting: {spec.display} is being ingested by another window or command"))))
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
        index = LocalIndex(self.workspace, spec.repo_id)
        if not index.knows_model:
            index.load_model()  # now, so that the clone and the scan hide the wait
        began = time.perf_counter()
        checkout = self._clone(spec, branch, emit, cancel, job_id)
        stage_seconds = {"clone": time.perf_counter() - began}
        index.begin(spec, checkout)
        began = time.perf_counter()
        scan = scan_files(checkout.path, self.workspace.settings, emit=emit, job_id=job_id, cancel=cancel)
        stage_seconds["scan"] = time.perf_counter() - began
        todo, kept = self._update_index(index, scan, emit, job_id)
        stats = self._embed_and_store(index, todo, emit, cancel, job_id) if todo else PipelineStats()
        stage_seconds.update(stats.stage_seconds)
        # The repository records the model's name and dimension, and what made its vectors: the model is
        # waited for only when this run has not learnt those without it.
        needed = stats.embedded or not index.dim
        embedder = self._wait_for_model(index.load_model(), cancel, emit, job_id) if needed else None
        final = index.finish(checkout, embedder, stats.embedded, kept=kept + stats.unchanged)
        return IngestResult(final.name, final.repo_id, final.source, final.commit_sha, final.files, final.chunks,
                            final.skipped, self.workspace.catalog.skip_reasons(spec.repo_id), stats.embedded,
                            round(time.perf_counter() - started, 3), {k: round(v, 3) for k, v in stage_seconds.items()},
                            kept + stats.unchanged)

    def _clone(self, spec, branch: str | None, emit: Emit, cancel: CancelToken, job_id: str) -> Checkout:
        settings = self.workspace.settings
        emit(StageProgress(job_id, "clone", 0, None, "objects"))
        access = GitAccess(get_secret(GIT_TOKEN), tuple(h.strip().lower() for h in settings.git_token_hosts),
                           settings.git_timeout)
        checkout = open_source(spec, branch, self.workspace.clones_dir, access=access, emit=emit, job_id=job_id,
                               cancel=cancel)
        emit(StageProgress(job_id, "clone", 1, 1, "objects"))
        cancel.raise_if_cancelled()
        return checkout

    @staticmethod
    def _update_index(index: LocalIndex, scan: ScanResult, emit: Emit, job_id: str) -> tuple[list[FileEntry], int]:
        """Bring the index up to the scan before any file is read. Returns the files to read, and how many
        are kept as they are."""
        if index.model_changed:
            emit(StageMessage(job_id, f"model changed from {index.previous.model} to {index.model}: re-embedding"))
            index.switch_model()
        resumed = index.reconcile()
        if resumed:
            stored, dropped, redo = resumed
            emit(StageMessage(job_id, f"resuming: {stored} chunks already stored"
                              + (f", {dropped} unfinished vectors dropped" if dropped else "")
                              + (f", {redo} unfinished files to read again" if redo else "")))
        index.skip(scan.skipped)
        present = {e.path for e in scan.files} | {path for path, _ in scan.skipped}
        gone = [path for path in index.known if path not in present]
        if gone:
            index.forget(gone)
            emit(StageMessage(job_id, f"{len(gone)} deleted files removed from the index"))
        todo, kept = index.plan(scan.files)
        if kept:
            emit(StageMessage(job_id, f"{kept} unchanged files kept as they are"))
        return todo, kept

    def _embed_and_store(self, index: LocalIndex, todo: list[FileEntry], emit: Emit, cancel: CancelToken,
                         job_id: str) -> PipelineStats:
        settings, model = self.workspace.settings, index.load_model()
        if not model.done():
            emit(StageMessage(job_id, "loading the embedding model"))
        pipeline = Pipeline(index=index, embedder=model, window_chars=expected_window_chars(settings),
                            batch_size=settings.batch_size, max_file_bytes=settings.max_file_bytes,
                            include_code=settings.embed_code, emit=emit, job_id=job_id, cancel=cancel,
                            parse_workers=settings.parse_workers or settings.max_cores)
        return pipeline.run(todo)

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
