"""One repository in the local index: its rows in the catalog and its vectors in its model's Chroma
collection. Ingest changes both only through here, so the rule that keeps them agreeing lives in one place.

The rule: vectors first, then the catalog. A file's vectors are written before its row and chunks are
committed, and removed before its row is. A run killed in between leaves at worst vectors that the
catalog does not know: search never reads them (it goes through the catalog), later writes overwrite
them (a chunk's id is fixed by its content) and ``reconcile`` drops the rest when the run resumes.
The vector store can also change under a finished repository (deleted, replaced, an index folder lost):
each run compares the store's stamp with the one its last run recorded, and ``reconcile`` has the files
whose chunks lost their vectors read again.

The collection opens only when a vector must be read or written, and the model is asked for its
dimension (part of the collection's name) only then: an unchanged re-ingest loads neither. A run with files
to read opens it early (``open_collection_early``), while the model loads and the files are parsed.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from .disk import OverBudget, check_budget
from .index.catalog import IMPORTS_VERSION, ChunkRecord, FileRecord, RepoRecord
from .index.chunks import Import
from .model.embedder import made_by
from .files.scan import BINARY, UNSUPPORTED_TYPE, FileEntry, ScanResult
from .source.checkout import remove_tree
from .states import IndexedTree, RepoState

if TYPE_CHECKING:
    from .model.embedder import Embedder
    from .run.task import Task
    from .source import Checkout, SourceSpec
    from .index.vector_parts import RepoVectors
    from .workspace import Workspace

log = logging.getLogger(__name__)
SMALL_RUN = 100  # files to read at most in a run that writes its new vectors into the first part (vector_parts)


@dataclass
class FileWork:
    """One file on its way through parse -> embed -> store: its FileRecord-to-be, chunks and vectors."""

    record: FileRecord
    chunks: list[ChunkRecord] = field(default_factory=list)
    vectors: object = None  # numpy array, one row per chunk
    unchanged: bool = False  # content hash equals what is stored: only size/mtime are refreshed
    imports: list[Import] | None = None  # what it imports; None: an unchanged file's stored imports stay


class Reconciled(NamedTuple):
    """What ``reconcile`` found: chunks in the catalog, vectors dropped (no file in the catalog has them),
    chunks without a vector and the files read again for them."""

    resumed: bool  # after an interrupted run; else the vector store had changed since the last run
    stored: int
    dropped: int
    lacking: int
    redo: int


class LocalIndex:
    """What one ingest run of one repository reads and writes: made at its start, finished at its end."""

    def __init__(self, workspace: Workspace, repo_id: str) -> None:
        self.workspace = workspace
        self.catalog = workspace.catalog
        self.repo_id = repo_id
        self.previous: RepoRecord | None = self.catalog.find_repo(repo_id)  # as the last run left it
        self.known: dict[str, FileRecord] = self.catalog.file_states(repo_id)
        wanted, previous = workspace.settings.model, self.previous
        self.model_changed = bool(previous and previous.model and previous.model != wanted)
        # Vectors made by the model the settings name: its name and dimension are known without loading
        # it (an unchanged re-ingest then needs no model at all); else the model tells them once loaded.
        self.knows_model = bool(previous and previous.model and not self.model_changed)
        self.model, self.dim = (previous.model, previous.dim) if self.knows_model else (wanted, 0)
        self.runtime = previous.runtime if self.knows_model else ""
        self.stamp = workspace.vector_store_stamp(repo_id)  # the repository's vectors as this run finds them
        # Vectors and catalog may not agree after an interrupted run, or when the vector store is not the one
        # the last run left: then ``reconcile`` looks at both, starting from the catalog's chunks, read now.
        self.resumed = previous is None or previous.state != RepoState.READY
        due = (previous or self.known) and not self.model_changed and (
            self.resumed or not (self.stamp and self.stamp == previous.vectors_stamp))
        self.stored: set[str] | None = self.catalog.chunk_ids(repo_id) if due else None
        # Files indexed before their imports were read (or read by an older query): read again, not embedded.
        self.refresh_imports = bool(previous and previous.imports_version < IMPORTS_VERSION and self.known)
        self._model_future: Future | None = None
        self._collection: RepoVectors | None = None
        self._collection_lock = threading.Lock()
        self._opening: threading.Thread | None = None
        self._vectors_changed = False
        self._small_run: bool | None = None  # a run reading few files (vector_parts.RepoVectors): told in update

    def load_model(self) -> Future:
        """The model that makes this run's vectors, loading in the background from the first call. A
        repository indexed with this model may need none (an unchanged re-ingest): ask only once it does."""
        if self._model_future is None:
            self._model_future = _load_in_background(self.workspace)
        return self._model_future

    def begin(self, spec: SourceSpec, checkout: Checkout) -> None:
        """The repository's row for this run: the checkout about to be scanned, marked ingesting."""
        previous = self.previous
        repo = RepoRecord(spec.repo_id, spec.name, spec.display, spec.kind, spec.web_base,
                          checkout.branch, checkout.commit, str(checkout.path),
                          state=RepoState.INGESTING, created_at=previous.created_at if previous else time.time(),
                          ingested_at=previous.ingested_at if previous else None)
        if previous:
            repo.model, repo.dim = previous.model, previous.dim
        self.catalog.upsert_repo(repo)
        self.display, self.checkout = spec.display, checkout

    def update(self, scan: ScanResult, task: Task) -> tuple[list[FileEntry], int]:
        """Bring the index up to the scan before any file is read (``reconcile``), then plan. Returns the files to
        read, and how many are kept as they are. An ingest that would take the data folder past its cap is
        refused here, before anything is embedded or stored (disk.py)."""
        if self.model_changed:
            task.message(f"model changed from {self.previous.model} to {self.model}: re-embedding")
        present = {e.path for e in scan.files} | {path for path, _ in scan.skipped}
        gone = [path for path in self.known if path not in present]
        # Told before the look opens anything: where the first part is used is fixed at its first use
        # (vector_parts.RepoVectors). Files the look finds to read again may only make a small run large.
        self._small_enough(len(scan.files if self.model_changed else self.plan(scan.files)[0]))
        found = self.reconcile(scan.skipped, gone)
        if found and found.resumed:
            task.message(f"resuming: {found.stored - found.lacking} chunks already stored"
                         + (f", {found.dropped} unfinished vectors dropped" if found.dropped else "")
                         + (f", {found.redo} unfinished files to read again" if found.redo else ""))
        elif found and found.lacking:
            task.message(f"the vector store was missing {found.lacking} of {found.stored} chunks "
                         f"({found.redo} files): embedding them again", "warning")
        removed = [path for path in gone if path in self.known]
        if removed:
            task.message(f"{len(removed)} deleted files removed from the index")
        todo, kept = self.plan(scan.files)
        self._small_enough(len(todo))
        # How many files this run reads: what "updating (N files)" says, in any process, while it runs.
        self.catalog.set_repo_state(self.repo_id, RepoState.INGESTING, todo=len(todo))
        if kept:
            task.message(f"{kept} unchanged files kept as they are")
        try:
            check_budget(self.workspace, self.display, sum(entry.size for entry in todo))
        except OverBudget:  # refused before it stored any chunk, a repository leaves nothing: clone and rows go
            if not self.catalog.count_chunks(self.repo_id):
                self.catalog.delete_repo(self.repo_id)
                if self.checkout.is_clone:
                    remove_tree(self.checkout.path)
            raise
        return todo, kept

    def _small_enough(self, reading: int) -> None:
        """Whether this run is small (it reads at most SMALL_RUN files): a run found large stays large."""
        self._small_run = reading <= SMALL_RUN and self._small_run is not False
        with self._collection_lock:
            if self._collection is not None:
                self._collection.new_into_first = self._small_run

    # -- deciding what to read ------------------------------------------------------------------

    def plan(self, entries: list[FileEntry]) -> tuple[list[FileEntry], int]:
        """Files to read now; those whose size and mtime match a stored row are kept unread (how many)."""
        todo, kept = [], 0
        for entry in entries:
            before = self.known.get(entry.path)
            # A file skipped for what its bytes are stays skipped while they are the same; reading it again
            # would make an unchanged repository load the model and open the vector store for nothing.
            unread = before and (before.skip_reason is None and before.content_hash
                                 or before.skip_reason in (BINARY, UNSUPPORTED_TYPE))
            if self.refresh_imports and before and before.skip_reason is None:
                unread = False
            if unread and before.size == entry.size and before.mtime_ns == entry.mtime_ns:
                kept += 1
            else:
                todo.append(entry)
        return todo, kept

    # -- writing --------------------------------------------------------------------------------

    def store(self, files: list[FileWork]) -> None:
        """Finished files from the pipeline: parsed and embedded, unchanged (only size and mtime move), or
        skipped. A file is in the index once its row is committed, after its vectors are written."""
        fresh = [w for w in files if not w.unchanged and w.record.skip_reason is None]
        self._drop_vectors([w.record.path for w in files if not w.unchanged])
        ids = [c.chunk_id for w in fresh for c in w.chunks]
        if ids:
            import numpy as np

            vectors = np.concatenate([w.vectors for w in fresh if w.chunks])
            metadatas = [{"repo_id": self.repo_id, "path": c.path, "language": c.language, "kind": c.kind}
                         for w in fresh for c in w.chunks]
            self.collection().upsert(ids, vectors, metadatas)
            self._vectors_changed = True
        self.catalog.replace_files(self.repo_id, [(w.record, w.chunks, w.imports or ()) for w in fresh])
        skipped = [w.record for w in files if w.record.skip_reason is not None]
        if skipped:
            self.catalog.record_skipped(self.repo_id, skipped)
        unchanged = [w.record for w in files if w.unchanged]
        if unchanged:
            self.catalog.touch_files(self.repo_id, unchanged)
        for work in files:
            if work.unchanged and work.imports is not None:
                self.catalog.replace_imports(self.repo_id, work.record.path, work.imports)

    def earlier_chunks(self, files: list[FileWork], embedder: Embedder) -> dict[str, str]:
        """Embedded text -> chunk id, of the chunks these files had before, where the model and runtime about to
        embed them made the repository's vectors: a chunk whose text did not change can keep its vector (an edit to
        one function of a file embeds that function, not the file again). Told by the catalog alone, so the rest
        is embedded while the store opens. Empty where another model or runtime, or a mix of runtimes, made them."""
        if not (self.knows_model and self.runtime == embedder.made_by and (self.model, self.dim) ==
                (embedder.name, embedder.dim)):
            return {}
        wanted = {chunk.embedded_text for work in files for chunk in work.chunks}
        return {chunk.embedded_text: chunk.chunk_id for path in self._indexed([work.record.path for work in files])
                for chunk in self.catalog.chunks_for_file(self.repo_id, path) if chunk.embedded_text in wanted}

    def stored_vectors(self, chunk_ids: list[str]) -> dict[str, object]:
        """Chunk id -> vector, of those of these chunks that the store has a vector for."""
        if not chunk_ids:
            return {}
        return {chunk_id: vector for ids, vectors, _ in self.collection().pages_of(chunk_ids)
                for chunk_id, vector in zip(ids, vectors)}

    def reconcile(self, skipped: list[tuple[str, str]] = (), gone: list[str] = ()) -> Reconciled | None:
        """Make vectors and catalog agree, with each other and with the scan, before the plan: vectors first,
        then the catalog. What goes: every vector and row of a model the settings no longer name; vectors
        whose file never reached the catalog, and the rows of files whose chunks lack vectors (those files are
        read and embedded again); the vectors of files now ``skipped`` (path, reason) or ``gone``, which are
        then recorded as skipped, or lose their rows. The stores may disagree after an interrupted run (one
        stopped between removing a changed file's old vectors and writing its new ones), or when the vector
        store is not the one this repository's last run left (deleted, replaced, an index folder lost); a
        finished run into a store that is still the same needs no look, and no Chroma. Returns what the look
        found, or None where none was due."""
        previous, stored, before = self.previous, self.stored, self.known
        self.stored = None  # a large repository's ids: not held through the embedding
        look = stored is not None and (self.resumed or bool(stored))
        if self.model_changed:
            self.known = {}  # no vectors of any model now: every file is embedded again, into the new collection
        drop = self._indexed([*(path for path, _ in skipped), *gone])
        collection = self.collection() if look or drop else None
        if self.model_changed:
            self.workspace.vectors().drop_collection(previous.model, previous.dim, self.repo_id)
            self._vectors_changed = True
        orphans: list[str] = []
        lacking: set[str] = set()
        if look:
            vectors = collection.ids()
            orphans = list(vectors - stored)
            if orphans:
                collection.delete_ids(orphans)
                self._vectors_changed = True
            lacking = collection.lacking(stored, vectors)
            collection.close()  # the look loaded every part into the child that read them: it ends now
        if drop:
            collection.delete_paths(drop)
            self._vectors_changed = True
        if self.model_changed:
            self.catalog.delete_files(self.repo_id, list(before))
            # A run stopped from here on resumes as a first run of the new model.
            self.catalog.set_repo_state(self.repo_id, RepoState.INGESTING, model="", dim=0, runtime="")
        redo = sorted({chunk.path for chunk in self.catalog.get_chunks(list(lacking)).values()}) if look else []
        if redo:
            self.catalog.delete_files(self.repo_id, redo)
            for path in redo:
                del self.known[path]
        changed = [FileRecord(path, None, 0, 0, "", reason) for path, reason in skipped
                   if not self.known.get(path) or self.known[path].skip_reason != reason]
        if changed:
            self.catalog.record_skipped(self.repo_id, changed)
        gone = [path for path in gone if path in self.known]
        if gone:
            self.catalog.delete_files(self.repo_id, gone)
        return Reconciled(self.resumed, len(stored), len(orphans), len(lacking), len(redo)) if look else None

    def finish(self, checkout: Checkout, embedder: Embedder | None, embedded: int, kept: int) -> RepoRecord:
        """The repository is ready. ``embedder``: the model that made this run's vectors, when it loaded;
        ``kept``: files whose vectors from earlier runs stay."""
        if self._opening is not None:
            self._opening.join()  # a store opened early for files that turned out unchanged: not left midway
        if embedder is not None:
            self.model, self.dim = embedder.name, embedder.dim
            if embedded:
                self.runtime = made_by(self.runtime if kept else "", embedder.made_by)
        self.close()  # the child holding the parts written ends before the search copy reads them
        tree = IndexedTree.WORKING_TREE if checkout.uncommitted else (
            IndexedTree.COMMIT if checkout.commit else IndexedTree.UNKNOWN)
        # The store as this run leaves it: checked at the start where it had changed, or written since.
        self.catalog.set_repo_state(self.repo_id, RepoState.READY, commit=checkout.commit, branch=checkout.branch,
                                    tree=tree, todo=0, ingested_at=time.time(), model=self.model, dim=self.dim,
                                    runtime=self.runtime, imports_version=IMPORTS_VERSION,
                                    vectors_stamp=self.workspace.vector_store_stamp(self.repo_id))
        if self._vectors_changed:  # so a search from a fresh process needs no Chroma
            self.workspace.update_search_index(self.model, self.dim)
        final = self.catalog.find_repo(self.repo_id)
        assert final is not None
        return final

    # -- the collection -------------------------------------------------------------------------

    def collection(self) -> RepoVectors:
        with self._collection_lock:
            if self._collection is None:
                if not self.dim:
                    # The dimension is part of the collection's name: the model tells it once loaded (it has
                    # been loading since the run began, or since work showed up).
                    self.dim = self.load_model().result().dim
                self._collection = self.workspace.vectors().repo_vectors(self.model, self.dim, self.repo_id)
                self._collection.new_into_first = bool(self._small_run)
            return self._collection

    def close(self) -> None:
        """End what the collection runs beside this process (vector_parts.PartServer); again is harmless."""
        if self._opening is not None:
            self._opening.join()
        with self._collection_lock:
            if self._collection is not None:
                self._collection.close()

    def open_collection_early(self) -> None:
        """Open the collection on a thread of its own, now, and in a large run start the child that writes it:
        opening the store (importing chromadb, ~0.8 s of CPU, and as much again in the child) then overlaps the
        model's load and the parse instead of following the embedding. A failure is
        left to the first real use, which tries again and raises it."""
        def open_it() -> None:
            try:
                self.collection().prepare()
            except Exception:  # noqa: BLE001 - raised again where the collection is used
                log.debug("opening the vector store early failed", exc_info=True)

        if self._opening is None:
            # numpy whole first, here: chromadb's import and the model's (on its own thread) both import it, and
            # two threads importing numpy at once can meet in its own circular imports, where one of them gets a
            # half-made module ("cannot import name ... from partially initialized module": seen in the full
            # test suite as the model failing to load). Waits for the model's thread if it is importing numpy now.
            import numpy  # noqa: F401

            self._opening = threading.Thread(target=open_it, name="pharos-store-open", daemon=True)
            self._opening.start()

    def _indexed(self, paths: list[str]) -> list[str]:
        """Those of these files that have stored vectors: the files indexed before."""
        return [path for path in paths if self.known.get(path) and self.known[path].skip_reason is None]

    def _drop_vectors(self, paths: list[str]) -> None:
        indexed = self._indexed(paths)
        if indexed:
            self.collection().delete_paths(indexed)
            self._vectors_changed = True


def _load_in_background(workspace: Workspace) -> Future:
    future: Future = Future()

    def load() -> None:
        try:
            future.set_result(workspace.embedder())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            future.set_exception(exc)

    threading.Thread(target=load, name="pharos-model-load", daemon=True).start()
    return future
