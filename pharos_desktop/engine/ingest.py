"""Ingestor: one repository, from a URL or folder to a searchable index, re-runnable and resumable.

Stages: clone (or open) -> scan -> parse/embed/store (pipeline.py), into the repository's LocalIndex
(local_index.py). The model loads in the background while the clone and scan run. Re-ingesting updates
in place: files whose size and mtime (or, failing that, content hash) are unchanged are not read, parsed
or embedded again; deleted files leave the catalog and the vectors; a model change re-embeds everything
into that model's collection.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import replace

from .disk import OverBudget, check_budget
from .model.embedder import expected_window_chars
from .run.events import IngestSummary
from .files.scan import FileEntry, ScanResult, scan_files
from .jobs import Job
from .run.task import Task
from .local_index import LocalIndex
from .pipeline import Pipeline, PipelineStats
from .secrets import GIT_TOKEN, optional_secret
from .run.repo_lock import busy_message, repo_lock
from .source import CREDENTIALS_IGNORED, Checkout, GitAccess, open_source, parse_source
from .source.checkout import remove_tree
from .settings import Settings
from .states import JobState, RepoState
from .workspace import Workspace


def git_access(settings: Settings, task: Task) -> GitAccess:
    """What the user's git may use to reach a remote: their token, for their token hosts only."""
    # a public repository needs no token: a keyring that cannot be read is a warning here, not a failure
    token = optional_secret(GIT_TOKEN, lambda line: task.message(line, "warning"))
    return GitAccess(token, tuple(h.strip().lower() for h in settings.git_token_hosts), settings.git_timeout)


class Ingestor:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def ingest(self, source: str, branch: str | None = None, *, task: Task,
               confine: tuple[str, ...] | None = None) -> IngestSummary:
        """Blocking: run it off the UI thread. Emits events, returns the summary or raises PharosError.

        ``confine``: the source was chosen by someone else (a cloud job, engine/worker/admission.py): it must
        be a remote URL, git connects only to these pinned addresses (host:port:address) and follows no
        redirect."""
        catalog = self.workspace.catalog

        def ended(state: str, message: str) -> None:  # the repository's rows are ours only while we hold its lock
            if catalog.find_repo(spec.repo_id):
                catalog.set_repo_state(
                    spec.repo_id, RepoState.INTERRUPTED if state == JobState.CANCELLED else RepoState.FAILED, message)

        with ExitStack() as held, Job(self.workspace.jobs, task) as job:
            spec = parse_source(source, branch, remote_only=confine is not None)
            job.start(spec.display + (f" @ {branch}" if branch else ""))
            if spec.credentials_stripped:
                task.message(CREDENTIALS_IGNORED, "warning")
            held.enter_context(repo_lock(self.workspace.data_folder, spec.repo_id, cancel=task.cancel,
                                         on_wait=lambda: task.message(busy_message(spec.display))))
            # The request is what a resume runs again: never the credentials a pasted URL held.
            job.own(spec.repo_id, {"source": spec.location if spec.credentials_stripped else source, "branch": branch},
                    ended)
            summary = self._run(spec, branch, task, confine)
            job.finish(summary)
        return summary

    def _run(self, spec, branch: str | None, task: Task, confine: tuple[str, ...] | None) -> IngestSummary:
        started = time.perf_counter()
        index = LocalIndex(self.workspace, spec.repo_id)
        if not index.knows_model:
            index.load_model()  # now, so that the clone and the scan hide the wait
        began = time.perf_counter()
        checkout = self._clone(spec, branch, task, confine)
        stage_seconds = {"clone": time.perf_counter() - began}
        index.begin(spec, checkout)
        began = time.perf_counter()
        scan = scan_files(checkout.path, self.workspace.settings, task=task)
        stage_seconds["scan"] = time.perf_counter() - began
        todo, kept = self._update_index(index, scan, task)
        self._check_budget(spec, checkout, todo)
        stats = self._embed_and_store(index, todo, task) if todo else PipelineStats()
        stage_seconds.update(stats.stage_seconds)
        # The repository records the model's name and dimension, and what made its vectors: the model is
        # waited for only when this run has not learnt those without it.
        needed = stats.embedded or not index.dim
        embedder = self._wait_for_model(index.load_model(), task) if needed else None
        final = index.finish(checkout, embedder, stats.embedded, kept=kept + stats.unchanged)
        return IngestSummary(final.name, final.repo_id, final.source, final.commit, final.files, final.chunks,
                             final.skipped, self.workspace.catalog.skip_reasons(spec.repo_id), stats.embedded,
                             round(time.perf_counter() - started, 3), {k: round(v, 3) for k, v in stage_seconds.items()},
                             kept + stats.unchanged)

    def _check_budget(self, spec, checkout: Checkout, todo: list[FileEntry]) -> None:
        """Refuse, before anything is embedded or stored, an ingest that would take the data folder past its cap. A
        repository refused before it stored any chunk leaves nothing behind: its clone and its rows go."""
        try:
            check_budget(self.workspace, spec.display, sum(entry.size for entry in todo))
        except OverBudget:
            if not self.workspace.catalog.count_chunks(spec.repo_id):
                self.workspace.catalog.delete_repo(spec.repo_id)
                if checkout.is_clone:
                    remove_tree(checkout.path)
            raise

    def _clone(self, spec, branch: str | None, task: Task, confine: tuple[str, ...] | None) -> Checkout:
        task.progress("clone", 0, None, "objects")
        access = replace(git_access(self.workspace.settings, task), pins=confine or (),
                         follow_redirects=confine is None)
        checkout = open_source(spec, branch, self.workspace.clones_dir, access=access, task=task)
        task.progress("clone", 1, 1, "objects")
        task.raise_if_cancelled()
        return checkout

    @staticmethod
    def _update_index(index: LocalIndex, scan: ScanResult, task: Task) -> tuple[list[FileEntry], int]:
        """Bring the index up to the scan before any file is read. Returns the files to read, and how many
        are kept as they are."""
        if index.model_changed:
            task.message(f"model changed from {index.previous.model} to {index.model}: re-embedding")
            index.switch_model()
        found = index.reconcile()
        if found and found.resumed:
            task.message(f"resuming: {found.stored - found.lacking} chunks already stored"
                         + (f", {found.dropped} unfinished vectors dropped" if found.dropped else "")
                         + (f", {found.redo} unfinished files to read again" if found.redo else ""))
        elif found and found.lacking:
            task.message(f"the vector store was missing {found.lacking} of {found.stored} chunks "
                         f"({found.redo} files): embedding them again", "warning")
        index.skip(scan.skipped)
        present = {e.path for e in scan.files} | {path for path, _ in scan.skipped}
        gone = [path for path in index.known if path not in present]
        if gone:
            index.forget(gone)
            task.message(f"{len(gone)} deleted files removed from the index")
        todo, kept = index.plan(scan.files)
        index.reading(len(todo))
        if kept:
            task.message(f"{kept} unchanged files kept as they are")
        return todo, kept

    def _embed_and_store(self, index: LocalIndex, todo: list[FileEntry], task: Task) -> PipelineStats:
        settings, model = self.workspace.settings, index.load_model()
        if not model.done():
            task.message("loading the embedding model")
        pipeline = Pipeline(index=index, embedder=model, window_chars=expected_window_chars(settings),
                            batch_size=settings.batch_size, max_file_bytes=settings.max_file_bytes,
                            include_code=settings.embed_code, task=task,
                            parse_workers=settings.parse_workers or settings.max_cores)
        return pipeline.run(todo)

    @staticmethod
    def _wait_for_model(future: Future, task: Task):
        if not future.done():
            task.message("loading the embedding model")
        return task.cancel.result(future)
