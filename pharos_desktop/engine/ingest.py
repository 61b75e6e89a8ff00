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
from contextlib import ExitStack, closing
from dataclasses import replace

from .run.events import IngestSummary
from .files.scan import scan_files
from .jobs import Job
from .run.task import Task
from .local_index import LocalIndex
from .pipeline import Pipeline, PipelineStats
from .run.repo_lock import busy_message, repo_lock
from .source import CREDENTIALS_IGNORED, GitAccess, parse_source
from .source.checkout import open_source
from .settings import Settings
from .states import JobState, RepoState
from .workspace import Workspace


def git_access(settings: Settings, task: Task) -> GitAccess:
    """What the user's git may use to reach a remote: their token, for their token hosts only."""
    from .secrets import GIT_TOKEN, optional_secret  # here: keyring's import (~0.1 s) is for remotes only

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
            # closed however the run ends: a child process may hold the repository's parts (vector_parts.py)
            index = held.enter_context(closing(LocalIndex(self.workspace, spec.repo_id)))
            summary = self._run(index, spec, branch, task, confine)
            job.finish(summary)
        return summary

    def _run(self, index: LocalIndex, spec, branch: str | None, task: Task,
             confine: tuple[str, ...] | None) -> IngestSummary:
        started = time.perf_counter()
        if not index.knows_model:
            index.load_model()  # now, so that the clone and the scan hide the wait
        began = time.perf_counter()
        task.progress("clone", 0, None, "objects")
        access = GitAccess()  # a local folder is read where it is: no remote to reach, no token to read
        if spec.kind != "local":
            access = replace(git_access(self.workspace.settings, task), pins=confine or (),
                             follow_redirects=confine is None)
        checkout = open_source(spec, branch, self.workspace.clones_dir, access=access, task=task)
        task.progress("clone", 1, 1, "objects")
        task.raise_if_cancelled()
        stage_seconds = {"clone": time.perf_counter() - began}
        index.begin(spec, checkout)
        began = time.perf_counter()
        scan = scan_files(checkout.path, self.workspace.settings, task=task)
        stage_seconds["scan"] = time.perf_counter() - began
        todo, kept = index.update(scan, task)
        if todo:
            pipeline = Pipeline.with_settings(index, self.workspace.settings, task)  # the model starts loading
            index.open_collection_early()
            stats = pipeline.run(todo)
        else:
            stats = PipelineStats()
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

    @staticmethod
    def _wait_for_model(future: Future, task: Task):
        if not future.done():
            task.message("loading the embedding model")
        return task.cancel.result(future)
