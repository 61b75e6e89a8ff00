"""Everything that lives under one data folder: settings, catalog, vector store, clones, logs.

Front ends open one Workspace and hand it to the engine's services (Ingestor, Searcher, Syncer).
The vector store and the model are opened lazily: the window must appear before torch is imported.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .catalog import Catalog
from .settings import Settings, data_dir

if TYPE_CHECKING:
    from .embedder import Embedder
    from .vectors import VectorStore


class Workspace:
    def __init__(self, root: Path | None = None, settings: Settings | None = None) -> None:
        self.root = Path(root) if root else data_dir()
        self.root.mkdir(parents=True, exist_ok=True)
        self.settings = settings or Settings.load()
        self.catalog = Catalog(self.root / "catalog.sqlite")
        self._lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._vectors: VectorStore | None = None

    @classmethod
    def open(cls) -> "Workspace":
        return cls()

    @property
    def clones_dir(self) -> Path:
        return self.root / "clones"

    @property
    def vectors_dir(self) -> Path:
        return self.root / "vectors"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def embedder(self) -> "Embedder":
        """The model named in settings, loaded once (slow: call it off the UI thread)."""
        from .embedder import Embedder

        with self._lock:
            if self._embedder is None or not self._embedder.matches(self.settings):
                self._embedder = Embedder.load(self.settings)
            return self._embedder

    def query_embedder(self) -> "Embedder":
        """The model for embedding search queries: the light ONNX one where the model has one (no torch)."""
        from .embedder import Embedder

        with self._lock:
            if self._embedder is not None and self._embedder.matches(self.settings):
                return self._embedder  # already loaded for documents: no second copy in memory
        return Embedder.load_for_queries(self.settings)

    def vectors(self) -> "VectorStore":
        from .vectors import VectorStore

        with self._lock:
            if self._vectors is None or not self._vectors.matches(self.settings):
                self._vectors = VectorStore.open(self.settings, self.vectors_dir)
            return self._vectors

    def reload_settings(self) -> None:
        self.settings = Settings.load()
