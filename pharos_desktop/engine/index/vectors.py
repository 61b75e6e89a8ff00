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

from ..errors import StoreError
from ..settings import Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


_SEGMENT_NAME = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def store_stamp(settings: Settings, folder: Path) -> str:
    """Which vector store the data folder holds, told without opening it (chromadb takes a second to import):
    the identity of Chroma's database file and of each index folder beside it. Writes keep it; a store
    deleted, replaced or restored from a backup changes it, and so does an index folder deleted (Chroma
    makes it again from what its log still holds, which can be far from all). "" when there is no store.
    A server's store is named by its URL: its files are not ours to look at."""
    if settings.chroma_url:
        return settings.chroma_url
    try:
        with os.scandir(folder) as entries:
            # An index folder also by the time its entries last changed: a folder deleted and made again can
            # get the old one's inode back, but not its time. (Chroma writes its index files in place, so
            # ordinary writes keep that time.)
            found = sorted((entry.name, entry.inode(), entry.stat().st_ctime_ns if entry.is_dir() else 0)
                           for entry in entries if entry.name == "chroma.sqlite3" or entry.is_dir())
    except OSError:
        return ""
    if not any(name == "chroma.sqlite3" for name, *_ in found):
        return ""
    return hashlib.sha1(repr(found).encode()).hexdigest()[:16]


def collection_name(model: str, dim: int) -> str:
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", Path(model).name if os.sep in model else model).strip("-").lower()[:40]
    digest = hashlib.sha1(model.encode()).hexdigest()[:8]
    return f"pharos-{slug or 'model'}-{dim}-{digest}"


class VectorCollection:
    """The vectors of one model. Metadata per chunk: repo_id, path, language, kind (for filtered queries)."""

    missing = 0  # as VectorIndex.missing; Chroma answers without counting what it lacks

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
        """The chunks Chroma lists for the repository (its metadata), whether or not its index has their vectors."""
        return set(self._collection.get(where={"repo_id": repo_id}, include=[])["ids"])

    def lacking(self, repo_id: str, ids: set[str], listed: set[str]) -> set[str]:
        """Of a repository's chunk ids, those with no vector to search: not ``listed`` (ids_for_repo), or
        listed while the index lacks their vector, as after its folder was deleted. A query limited to the
        repository tells the second cheaply (Chroma fails it when a listed chunk is not in the index); only
        then are the vectors read, a page at a time, to find which (down to tens: a ten that fails counts whole)."""
        from chromadb.errors import InternalError

        missing = ids - listed
        try:
            if ids & listed:
                self._collection.query(query_embeddings=[[1.0] * self.dim], n_results=1, where={"repo_id": repo_id},
                                       include=[])
            return missing
        except InternalError:
            pass
        # In Chroma's own order, oldest first: what its log no longer holds is lost together, so pages that
        # fail are mostly whole.
        present = [chunk_id for chunk_id in self._collection.get(where={"repo_id": repo_id}, include=[])["ids"]
                   if chunk_id in ids]
        for start in range(0, len(present), 100):
            missing.update(self._unreadable(present[start:start + 100]))
        return missing

    def _unreadable(self, ids: list[str]) -> list[str]:
        from chromadb.errors import InternalError

        try:
            self._collection.get(ids=ids, include=["embeddings"])
            return []
        except InternalError:  # "Error finding id"
            if len(ids) == 1:
                return ids
            step = 10 if len(ids) > 10 else 1  # down to each id: lost vectors may be spread among readable ones
            return [lost for start in range(0, len(ids), step) for lost in self._unreadable(ids[start:start + step])]

    def count(self) -> int:
        return self._collection.count()

    def everything(self, page: int = 5000):
        """(ids, embeddings, metadatas) of every vector, a page at a time. What the index lacks the vectors
        of (its folder was lost) is left out, a hundred at a time: it cannot be searched."""
        for offset in range(0, self.count(), page):
            yield from self._readable(offset, page)

    def pages_of(self, ids: list[str], page: int = 1000):
        """(ids, embeddings, metadatas) of these chunks, a page at a time; those it has no vector for left out."""
        from chromadb.errors import InternalError

        for start in range(0, len(ids), page):
            part = ids[start:start + page]
            try:
                rows = self._collection.get(ids=part, include=["embeddings", "metadatas"])
            except InternalError:  # "Error finding id": some of them lack their vector
                lost = set(self._unreadable(part))
                readable = [chunk_id for chunk_id in part if chunk_id not in lost]
                if not readable:
                    continue
                rows = self._collection.get(ids=readable, include=["embeddings", "metadatas"])
            yield rows["ids"], rows["embeddings"], rows["metadatas"]

    def _readable(self, offset: int, limit: int):
        from chromadb.errors import InternalError

        try:
            rows = self._collection.get(include=["embeddings", "metadatas"], limit=limit, offset=offset)
        except InternalError:  # "Error finding id": the page lists a chunk whose vector the index lacks
            if limit > 100:
                for start in range(offset, offset + limit, 100):
                    yield from self._readable(start, 100)
            return
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

    def remove_repo(self, repo_id: str) -> int:
        """Delete the repository's vectors from every model's collection; returns how many went. Chroma keeps
        the bytes of deleted vectors in its index files: only a collection left empty gives them back, dropped
        whole, with the index folder Chroma leaves behind (chromadb 1.5 does)."""
        removed = 0
        for listed in self._client.list_collections():
            name = getattr(listed, "name", listed)
            if not name.startswith("pharos-"):
                continue
            collection = self._client.get_collection(name, embedding_function=None)
            before = collection.count()
            collection.delete(where={"repo_id": repo_id})
            left = collection.count()
            removed += before - left
            if not left:
                self._client.delete_collection(name)
                self._collections.pop(name, None)
        if removed and not self._chroma_url:
            self._drop_unlisted_segments()
        return removed

    def _drop_unlisted_segments(self) -> None:
        """Index folders (named by segment id) that Chroma's own database no longer lists: a dropped collection's."""
        import sqlite3
        import shutil

        folder = Path(self.where)
        try:
            with sqlite3.connect(f"file:{folder / 'chroma.sqlite3'}?mode=ro", uri=True) as conn:
                listed = {row[0] for row in conn.execute("SELECT id FROM segments")}
        except sqlite3.Error:
            return  # a layout we do not know: leave its folders alone
        for entry in folder.iterdir():
            if entry.is_dir() and _SEGMENT_NAME.fullmatch(entry.name) and entry.name not in listed:
                shutil.rmtree(entry, ignore_errors=True)

    def existing_collection(self, model: str, dim: int) -> VectorCollection | None:
        name = collection_name(model, dim)
        if name in self._collections:
            return self._collections[name]
        if name not in {getattr(c, "name", c) for c in self._client.list_collections()}:
            return None
        return self.collection(model, dim)
