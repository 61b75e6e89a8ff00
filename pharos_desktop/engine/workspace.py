"""Everything that lives under one data folder: settings, catalog, vector store, clones, logs.

Front ends open one Workspace and hand it to the engine's services (Ingestor, Searcher, Syncer).
The vector store and the model are opened lazily: the window must appear before torch is imported.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .index.catalog import Catalog
from .jobs import JobsTable
from .settings import Settings, check_writable
from .settings import data_folder as default_data_folder

if TYPE_CHECKING:
    from .model.embedder import Embedder
    from .index.vector_snapshot import VectorSnapshot
    from .index.vectors import VectorStore

log = logging.getLogger(__name__)


class Workspace:
    def __init__(self, data_folder: Path | None = None, settings: Settings | None = None) -> None:
        self.data_folder = Path(data_folder) if data_folder else default_data_folder()
        self.data_folder.mkdir(parents=True, exist_ok=True)
        check_writable(self.data_folder)  # one plain line now, rather than a database error later
        self.settings = settings or Settings.load()
        self.catalog = Catalog(self.data_folder / "catalog.sqlite")
        self.jobs = JobsTable(self.catalog)
        self._lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._vectors: VectorStore | None = None
        self._snapshot: tuple | None = None  # (key, VectorSnapshot) last read for search

    @classmethod
    def open(cls) -> "Workspace":
        return cls()

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

    def vector_store_stamp(self) -> str:
        """Which vector store the data folder holds now (vectors.store_stamp): cheap, opens nothing."""
        from .index.vectors import store_stamp

        return store_stamp(self.settings, self.vectors_dir)

    def search_vectors(self, model: str, dim: int):
        """What vector search reads: the snapshot while it is current (no chromadb import), else one made
        now from Chroma. None when this model has no vectors here and the catalog expects none."""
        from .index.vector_snapshot import VectorSnapshot, snapshot_key

        if self.settings.chroma_url:  # a server holds the index; nothing local to copy
            return self.vectors().existing_collection(model, dim)
        key = snapshot_key(self.catalog.chunks_state(), self.vector_store_stamp(), model, dim)
        cached = self._snapshot
        if cached is not None and cached[0] == key:
            return cached[1]
        snapshot = VectorSnapshot.load(self.search_cache_path(model, dim), key) or self.refresh_search_snapshot(model, dim)
        if snapshot is not None:
            self._snapshot = (snapshot.key, snapshot)
        return snapshot

    def refresh_search_snapshot(self, model: str, dim: int) -> "VectorSnapshot | None":
        """Copy this model's vectors of the catalog's chunks out of Chroma (after an ingest changed them, or
        when the store is not the one the snapshot was made from). It records how many of the chunks that
        this model embedded have no vector in the store, so that search says so rather than hide them."""
        import numpy as np

        from .index.vector_snapshot import VectorSnapshot, snapshot_key

        if self.settings.chroma_url:
            return None
        collection = self.vectors().existing_collection(model, dim)
        # The key is taken with the store open (opening may make it) and before reading: a write meanwhile stales it.
        key = snapshot_key(self.catalog.chunks_state(), self.vector_store_stamp(), model, dim)
        expected = self.catalog.chunk_ids_made_by(model, dim)
        if collection is None and not expected:
            return None
        wanted = self.catalog.chunk_ids(None)
        # Page by page, only the wanted rows, already float16: the snapshot's size once (75 MB at 100,000
        # chunks), not Chroma's float32 pages, a float32 copy and a float16 one together (~4x that).
        ids, pages, metadatas = [], [], []
        for page_ids, page_vectors, page_metadatas in collection.everything() if collection is not None else ():
            keep = [n for n, chunk_id in enumerate(page_ids) if chunk_id in wanted]  # an interrupted run's extras: out
            ids += [page_ids[n] for n in keep]
            pages.append(np.asarray(page_vectors, dtype="float32").reshape(len(page_ids), dim)[keep].astype("float16"))
            metadatas += [page_metadatas[n] or {} for n in keep]
        missing = len(expected - set(ids))
        if missing:
            log.warning("the vector store at %s lacks the vectors of %d chunks of %s", self.vectors_dir, missing, model)
        vectors = np.concatenate(pages) if pages else np.zeros((0, dim), dtype="float16")
        return VectorSnapshot.write(self.search_cache_path(model, dim), key, ids, vectors, metadatas, missing)

    def search_cache_path(self, model: str, dim: int) -> Path:
        from .index.vectors import collection_name

        return self.data_folder / "search-cache" / f"{collection_name(model, dim)}.npz"

    def vectors(self) -> "VectorStore":
        from .index.vectors import VectorStore

        with self._lock:
            if self._vectors is None or not self._vectors.matches(self.settings):
                self._vectors = VectorStore.open(self.settings, self.vectors_dir)
            return self._vectors

    def reload_settings(self) -> None:
        self.settings = Settings.load()
