"""Chroma, on disk under the data folder or a `chroma run` server, one collection per model.

A collection is named after the model and its dimension, so switching models never mixes
dimensions in one index: each model's vectors live apart, and the catalog records which one a
repository was embedded with.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import urlparse

from .errors import StoreError
from .settings import Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def collection_name(model: str, dim: int) -> str:
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", Path(model).name if os.sep in model else model).strip("-").lower()[:40]
    digest = hashlib.sha1(model.encode()).hexdigest()[:8]
    return f"pharos-{slug or 'model'}-{dim}-{digest}"


class VectorCollection:
    """The vectors of one model. Metadata per chunk: repo_id, path, language, kind (for filtered queries)."""

    def __init__(self, collection, model: str, dim: int) -> None:
        self._collection = collection
        self.model = model
        self.dim = dim
        self._max_batch = 1000

    def upsert(self, ids: list[str], embeddings, metadatas: list[dict]) -> None:
        for start in range(0, len(ids), self._max_batch):
            end = start + self._max_batch
            self._collection.upsert(ids=ids[start:end], embeddings=embeddings[start:end],
                                    metadatas=metadatas[start:end])

    def delete_paths(self, repo_id: str, paths: list[str]) -> None:
        for start in range(0, len(paths), 200):
            part = paths[start:start + 200]
            self._collection.delete(where={"$and": [{"repo_id": repo_id}, {"path": {"$in": part}}]})

    def delete_ids(self, ids: list[str]) -> None:
        for start in range(0, len(ids), self._max_batch):
            self._collection.delete(ids=ids[start:start + self._max_batch])

    def delete_repo(self, repo_id: str) -> None:
        self._collection.delete(where={"repo_id": repo_id})

    def ids_for_repo(self, repo_id: str) -> set[str]:
        return set(self._collection.get(where={"repo_id": repo_id}, include=[])["ids"])

    def count(self) -> int:
        return self._collection.count()

    def everything(self, page: int = 5000):
        """(ids, embeddings, metadatas) of every vector, a page at a time."""
        for offset in range(0, self.count(), page):
            rows = self._collection.get(include=["embeddings", "metadatas"], limit=page, offset=offset)
            yield rows["ids"], rows["embeddings"], rows["metadatas"]

    def query(self, embedding, limit: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        if self._collection.count() == 0:
            return []
        result = self._collection.query(query_embeddings=[embedding], n_results=limit, where=where or None,
                                        include=["distances"])
        ids, distances = result["ids"][0], result["distances"][0]
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(ids, distances)]


class VectorStore:
    def __init__(self, client, where: str) -> None:
        self._client = client
        self.where = where  # a folder or a server URL, for doctor and error messages
        self._collections: dict[str, VectorCollection] = {}
        self._chroma_url = ""

    @classmethod
    def open(cls, settings: Settings, folder: Path) -> "VectorStore":
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if settings.chroma_url:
                url = urlparse(settings.chroma_url)
                client = chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                             ssl=url.scheme == "https", settings=chroma_settings)
                client.heartbeat()
                store = cls(client, settings.chroma_url)
            else:
                folder.mkdir(parents=True, exist_ok=True)
                store = cls(chromadb.PersistentClient(path=str(folder), settings=chroma_settings), str(folder))
        except Exception as exc:  # chromadb raises many types; the user needs one line
            target = settings.chroma_url or folder
            raise StoreError(f"cannot open the vector store at {target}: {exc}") from exc
        store._chroma_url = settings.chroma_url
        return store

    def matches(self, settings: Settings) -> bool:
        return settings.chroma_url == self._chroma_url

    def collection(self, model: str, dim: int) -> VectorCollection:
        name = collection_name(model, dim)
        if name not in self._collections:
            chroma_collection = self._client.get_or_create_collection(
                name, metadata={"hnsw:space": "cosine", "model": model[:200], "dim": dim}, embedding_function=None)
            self._collections[name] = VectorCollection(chroma_collection, model, dim)
        return self._collections[name]

    def repo_ids(self) -> set[str]:
        """Every repository that has vectors here, in any model's collection (reads all their metadata)."""
        found: set[str] = set()
        for listed in self._client.list_collections():
            name = getattr(listed, "name", listed)
            if not name.startswith("pharos-"):
                continue  # a shared server may hold other programs' collections
            collection = self._client.get_collection(name, embedding_function=None)
            for offset in range(0, collection.count(), 5000):
                rows = collection.get(include=["metadatas"], limit=5000, offset=offset)
                found.update(m["repo_id"] for m in rows["metadatas"] if m and m.get("repo_id"))
        return found

    def existing_collection(self, model: str, dim: int) -> VectorCollection | None:
        name = collection_name(model, dim)
        if name in self._collections:
            return self._collections[name]
        if name not in {getattr(c, "name", c) for c in self._client.list_collections()}:
            return None
        return self.collection(model, dim)
