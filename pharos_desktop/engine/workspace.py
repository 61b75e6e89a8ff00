"""Everything that lives under one data folder: settings, catalog, vector store, clones, logs.

Front ends open one Workspace and hand it to the engine's services (Ingestor, Searcher, Syncer).
The vector store and the model are opened lazily: the window must appear before torch is imported.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .index.catalog import Catalog
from .settings import Settings, check_writable
from .settings import data_folder as default_data_folder

if TYPE_CHECKING:
    from .jobs import JobsTable
    from .model.embedder import Embedder
    from .index.vector_index import VectorIndex
    from .index.vectors import VectorStore

log = logging.getLogger(__name__)


def search_index_key(catalog_state: tuple, store_stamp: str, model: str, dim: int) -> str:
    """Identifies the catalog's chunks (Catalog.chunks_state), the vector store (vectors.store_stamp) and the
    model: any write to the catalog's chunks, or another store, changes it."""
    return hashlib.sha1(repr((catalog_state, store_stamp, model, dim)).encode()).hexdigest()


class Workspace:
    def __init__(self, data_folder: Path | None = None, settings: Settings | None = None) -> None:
        self.data_folder = Path(data_folder) if data_folder else default_data_folder()
        self.data_folder.mkdir(parents=True, exist_ok=True)
        check_writable(self.data_folder)  # one plain line now, rather than a database error later
        self.settings = settings or Settings.load()
        self.catalog = Catalog(self.data_folder / "catalog.sqlite")
        self._lock = threading.Lock()
        self._store_lock = threading.Lock()  # apart: an ingest opens the store while the model loads
        self._embedder: Embedder | None = None
        self._vectors: VectorStore | None = None
        self._search_index: VectorIndex | None = None  # last read for search

    @classmethod
    def open(cls) -> "Workspace":
        return cls()

    @cached_property
    def jobs(self) -> "JobsTable":
        """The jobs table, made on first use: a search from the command line uses none, and spares its imports
        (~25 ms of CPU) and a write transaction."""
        from .jobs import JobsTable

        return JobsTable(self.catalog)

    @property
    def clones_dir(self) -> Path:
        return self.data_folder / "clones"

    @property
    def vectors_dir(self) -> Path:
        return self.data_folder / "vectors"

    @property
    def logs_dir(self) -> Path:
        return self.data_folder / "logs"

    def embedder(self) -> "Embedder":
        """The model named in settings, loaded once (slow: call it off the UI thread)."""
        from .model.embedder import Embedder

        with self._lock:
            self._embedder = Embedder.load(self.settings)  # the process's one copy; each ask counts as a use
            return self._embedder

    def release_models(self, idle_seconds: float) -> bool:
        """Let the models go when none was asked for in ``idle_seconds`` (model/embedder.release_unused)."""
        from .model import embedder

        with self._lock:
            if not embedder.idle_for(idle_seconds):
                return False
            self._embedder = None
        return embedder.release_unused(idle_seconds)

    def query_embedder(self) -> "Embedder":
        """The model for embedding search queries: the light ONNX one where the model has one (no torch)."""
        from .model.embedder import Embedder

        with self._lock:
            if self._embedder is not None and self._embedder.matches(self.settings):
                return self._embedder  # already loaded for documents: no second copy in memory
        return Embedder.load_for_queries(self.settings)

    def vector_store_stamp(self, repo_id: str = "") -> str:
        """Which vector store the data folder holds now (vectors.store_stamp), or which vectors of the
        repository (vectors.repo_stamps): cheap, opens nothing."""
        from .index.vectors import repo_stamps, store_stamp

        if repo_id:
            return repo_stamps(self.settings, self.vectors_dir, [repo_id])[repo_id]
        return store_stamp(self.settings, self.vectors_dir)

    def search_vectors(self, model: str, dim: int):
        """What vector search reads: the search index (vector_index.py) while it is current (no chromadb
        import), else that index brought up to date from Chroma now. None when this model has no vectors here
        and the catalog expects none."""
        from .index.vector_index import VectorIndex

        if self.settings.chroma_url:  # a server holds the index; nothing local to copy
            found = self.vectors().model_vectors(model, dim)
            return found if found.collections else None
        key = search_index_key(self.catalog.chunks_state(), self.vector_store_stamp(), model, dim)
        cached = self._search_index
        if cached is not None and cached.key == key:
            return cached
        index = VectorIndex.open(self._search_index_dir(model, dim), key) or self.update_search_index(model, dim)
        if index is not None:
            self._search_index = index
        return index

    def update_search_index(self, model: str, dim: int, compact: bool = False) -> "VectorIndex | None":
        """Bring the search index to the catalog's chunks by their changes: in each repository whose chunks
        were written since (Catalog.chunk_writes), the rows of chunks gone are dropped and the vectors of chunks
        new to it are read from its collection in Chroma, by id, and appended. A repository whose vectors
        changed otherwise (vectors.repo_stamps: its collection made again, an index folder lost, the store
        replaced) is read again whole. It records how many of the chunks that this model embedded have no vector
        in the store, so that search says so rather than hide them. ``compact``: give back the space of every dead row
        now (after a repository is removed), not only once they are over a quarter of the rows."""
        from .index.vector_index import IndexWriter
        from .index.vectors import repo_stamps

        if self.settings.chroma_url:
            return None
        folder = self._search_index_dir(model, dim)
        store = self.vectors()
        # The key, the stamps and the writes are taken with the store open (opening may make it) and before
        # reading: a write meanwhile stales them, and the next update reads that repository again.
        key = search_index_key(self.catalog.chunks_state(), self.vector_store_stamp(), model, dim)
        writes = self.catalog.chunk_writes()
        repos = sorted({*self.catalog.repo_names(), *writes})  # (a catalog older than its write counts has none)
        if not folder.exists() and not self.catalog.chunk_counts_made_by(model, dim, repos):
            return None
        with IndexWriter(folder, dim) as writer:
            synced = writer.manifest.get("writes") or {}
            old_stamps = writer.manifest.get("stores")
            if not isinstance(old_stamps, dict):  # an index from before the stamps per repository
                writer.reset()
                old_stamps = {}
            stamps = repo_stamps(self.settings, self.vectors_dir, repos)
            if writer.rebuilt:  # every repository
                changed = repos
            else:
                changed = sorted(repo_id for repo_id in {*writes, *synced, *stamps, *old_stamps}
                                 if writes.get(repo_id) != synced.get(repo_id)
                                 or stamps.get(repo_id) != old_stamps.get(repo_id))
            new = {}
            for repo_id in changed:
                wanted = self.catalog.chunk_ids(repo_id)
                live = writer.live_ids(repo_id)
                if stamps.get(repo_id) != old_stamps.get(repo_id):  # other vectors than those it holds: all again
                    writer.drop(list(live.values()))
                    live = {}
                else:
                    writer.drop([row for chunk_id, row in live.items() if chunk_id not in wanted])
                new[repo_id] = sorted(wanted.difference(live))
            # By id, a page at a time, even for a first build: Chroma pages by offset in time that grows with the
            # offset (a million chunks: 26 minutes by offset), by id in time that grows with the page. Many are
            # read in child processes, which do not keep every repository's index in this one.
            for page_ids, page_vectors, page_metadatas in store.read_vectors(model, dim, new):
                writer.append(page_ids, page_vectors, [metadata or {} for metadata in page_metadatas])
            expected = self.catalog.chunk_counts_made_by(model, dim, changed)
            present = writer.counts_by_repo()
            missing = {repo_id: count - present.get(repo_id, 0) for repo_id, count in expected.items()
                       if count > present.get(repo_id, 0)}
            missing.update({repo_id: n for repo_id, n in (writer.manifest.get("missing_by_repo") or {}).items()
                            if repo_id not in changed})
            if missing:
                log.warning("the vector store at %s lacks the vectors of %d chunks of %s", self.vectors_dir,
                            sum(missing.values()), model)
            index = writer.commit(key, writes, missing, stamps, compact)
        self._remove_old_snapshot(model, dim)
        return index

    def _search_index_dir(self, model: str, dim: int) -> Path:
        from .index.vectors import collection_name

        return self.data_folder / "search-index" / collection_name(model, dim)

    def _remove_old_snapshot(self, model: str, dim: int) -> None:
        """The float16 copy that searches read before the search index (search-cache/<collection>.npz)."""
        from .index.vectors import collection_name

        old = self.data_folder / "search-cache" / f"{collection_name(model, dim)}.npz"
        if old.exists():
            old.unlink(missing_ok=True)
            try:
                old.parent.rmdir()
            except OSError:  # another model's copy is still there
                pass

    def vectors(self) -> "VectorStore":
        from .index.vectors import VectorStore

        with self._store_lock:
            if self._vectors is None or not self._vectors.matches(self.settings):
                self._vectors = VectorStore.open(self.settings, self.vectors_dir)
            return self._vectors

    def reload_settings(self) -> None:
        self.settings = Settings.load()
