"""Chroma, on disk under the data folder or a `chroma run` server: one collection per model and repository (on
disk, in parts of up to 10,000 vectors: vector_parts.py).

A collection is named after the model and its dimension, so switching models never mixes dimensions in one
index, and after the repository, so that writing, checking or removing one repository opens only its own
collection (Chroma loads a collection's whole index to write one vector into it), and removing it drops the
collection with its index folder: the space comes back. A store from before (one collection per model, for
every repository) is moved into this layout once, when it is opened (vectors_children.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
from collections import defaultdict
from contextlib import closing
from pathlib import Path
from urllib.parse import urlparse

from ..errors import StoreError
from ..settings import Settings
from .vector_parts import RepoVectors, part_name, part_of

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

log = logging.getLogger(__name__)

_SEGMENT_NAME = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DATABASE = "chroma.sqlite3"
_LOG_INDEX = "pharos_embeddings_queue_topic"  # ours, in Chroma's database: see _index_log


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
                           for entry in entries if entry.name == _DATABASE or entry.is_dir())
    except OSError:
        return ""
    if not any(name == _DATABASE for name, *_ in found):
        return ""
    return hashlib.sha1(repr(found).encode()).hexdigest()[:16]


def _index_log(database: Path) -> None:
    """Index Chroma's log by collection. Chroma keeps a collection's writes in its log (one table for every
    collection) until that collection's index is saved, every 1,000 writes, so with a collection per repository
    the log holds most of a store whose repositories are smaller than that (442,000 entries at a million
    chunks). After each write Chroma removes that collection's entries, and a collection's first read looks for
    them, by a range of the log's sequence numbers, reading every other collection's entries in that range:
    0.3 s of CPU a write at a million chunks, 2 ms with this index. Made once (1.7 s there); without it Chroma
    is only slower."""
    try:
        with closing(sqlite3.connect(database, timeout=30)) as conn:
            tables = {name for name, in conn.execute("SELECT name FROM sqlite_master WHERE name IN (?, ?)",
                                                     ("embeddings_queue", _LOG_INDEX))}
            if tables == {"embeddings_queue"}:
                conn.execute(f"CREATE INDEX IF NOT EXISTS {_LOG_INDEX} ON embeddings_queue (topic, seq_id)")
                conn.commit()
    except sqlite3.Error as exc:
        log.warning("cannot index the vector store's log at %s (writes stay slower): %s", database, exc)


def repo_stamps(settings: Settings, folder: Path, repo_ids) -> dict[str, str]:
    """store_stamp for each of these repositories alone: the database file and the index folders of the
    repository's own collections (Chroma's database lists them), so that writing, adding or dropping another
    repository's collection leaves its stamp as it was. Cheap: opens no chromadb."""
    if settings.chroma_url:
        return dict.fromkeys(repo_ids, settings.chroma_url)
    try:
        base = (folder / _DATABASE).stat().st_ino
    except OSError:
        return dict.fromkeys(repo_ids, "")
    segments = repo_segments(folder)
    if segments is None:
        return dict.fromkeys(repo_ids, "")
    stamps = {}
    for repo_id in repo_ids:
        found = []
        for segment in sorted(segments.get(repo_id, ())):
            try:
                stat = (folder / segment).stat()
                found.append((segment, stat.st_ino, stat.st_ctime_ns))
            except OSError:
                found.append((segment, 0, 0))
        stamps[repo_id] = hashlib.sha1(repr((base, found)).encode()).hexdigest()[:16]
    return stamps


def repo_segments(folder: Path) -> dict[str, list[str]] | None:
    """repo_id -> the index folders (segment ids, under ``folder``) of its collections, as Chroma's database lists
    them; None when the database cannot be read. Cheap: opens no chromadb."""
    try:
        with closing(sqlite3.connect(f"file:{folder / _DATABASE}?mode=ro", uri=True)) as conn:
            rows = conn.execute("SELECT m.str_value, s.id FROM collection_metadata m JOIN segments s "
                                "ON s.collection = m.collection_id WHERE m.key = 'repo_id' AND s.scope = 'VECTOR'")
            segments = defaultdict(list)
            for repo_id, segment in rows:
                segments[repo_id].append(segment)
    except sqlite3.Error:
        return None
    return dict(segments)


def collection_name(model: str, dim: int, repo_id: str = "") -> str:
    """The collection of the model's vectors of one repository; with no repository, the prefix of them all (and
    the name of the model's one collection before there was one per repository). Chroma allows 3-512
    characters of [a-zA-Z0-9._-]."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", Path(model).name if os.sep in model else model).strip("-").lower()[:40]
    digest = hashlib.sha1(model.encode()).hexdigest()[:8]
    name = f"pharos-{slug or 'model'}-{dim}-{digest}"
    if not repo_id:
        return name
    if re.fullmatch(r"[a-zA-Z0-9]{1,64}", repo_id):
        return f"{name}-r-{repo_id}"
    part = re.sub(r"[^a-zA-Z0-9]+", "-", repo_id).strip("-")[:64]
    return f"{name}-r-{part}-{hashlib.sha1(repo_id.encode()).hexdigest()[:8]}"


def persistent_client(folder: Path):
    """chromadb's client of the store on disk in ``folder``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    # chromadb's cache of open indexes is left at its own size (a fifth of the open-file limit): an index it
    # evicts loses writes not yet in its files (moving 112 repositories with room for 64 lost 455 vectors of one
    # of them; docs/benchmarks.md)
    return chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))


class VectorCollection:
    """The vectors of one repository made by one model. Metadata per chunk: repo_id, path, language, kind (what
    the search index filters by)."""

    missing = 0  # as VectorIndex.missing; Chroma answers without counting what it lacks

    def __init__(self, collection, model: str, dim: int, repo_id: str) -> None:
        self._collection = collection
        self.model = model
        self.dim = dim
        self.repo_id = repo_id
        self._max_batch = 1000

    def upsert(self, ids: list[str], embeddings, metadatas: list[dict]) -> None:
        for start in range(0, len(ids), self._max_batch):
            end = start + self._max_batch
            self._collection.upsert(ids=ids[start:end], embeddings=embeddings[start:end],
                                    metadatas=metadatas[start:end])

    def delete_paths(self, paths: list[str]) -> None:
        for start in range(0, len(paths), 200):
            self._collection.delete(where={"path": {"$in": paths[start:start + 200]}})

    def delete_ids(self, ids: list[str]) -> None:
        for start in range(0, len(ids), self._max_batch):
            self._collection.delete(ids=ids[start:start + self._max_batch])

    def ids(self) -> set[str]:
        """The chunks Chroma lists (its metadata), whether or not its index has their vectors."""
        return set(self._collection.get(include=[])["ids"])

    def lacking(self, ids: set[str], listed: set[str]) -> set[str]:
        """Of the repository's chunk ids, those with no vector to search: not ``listed`` (``ids``), or listed
        while the index lacks their vector, as after its folder was deleted. A query tells the second cheaply
        (Chroma fails it when a listed chunk is not in the index); only then are the vectors read, a page at a
        time, to find which (down to tens: a ten that fails counts whole)."""
        from chromadb.errors import InternalError

        missing = ids - listed
        try:
            if ids & listed:
                # Filtered (every chunk has its repository's id), so that Chroma looks each listed chunk up in
                # its index; unfiltered, it would search what the index holds and fail on nothing.
                self._collection.query(query_embeddings=[[1.0] * self.dim], n_results=1,
                                       where={"repo_id": self.repo_id}, include=[])
            return missing
        except InternalError:
            pass
        # In Chroma's own order, oldest first: what its log no longer holds is lost together, so pages that
        # fail are mostly whole.
        present = [chunk_id for chunk_id in self._collection.get(include=[])["ids"] if chunk_id in ids]
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

    def everything(self, page: int = 1000):
        """(ids, embeddings, metadatas) of every vector, a page at a time, by id (``pages_of``)."""
        yield from self.pages_of(sorted(self.ids()), page)

    def pages_of(self, ids: list[str], page: int = 1000):
        """(ids, embeddings, metadatas) of these chunks, a page at a time; those it has no vector for left out.
        By id: Chroma pages by offset in time that grows with the offset (a million chunks: 26 minutes)."""
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

    def query(self, embedding, limit: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        if self._collection.count() == 0:
            return []
        result = self._collection.query(query_embeddings=[embedding], n_results=limit, where=where or None,
                                        include=["distances"])
        ids, distances = result["ids"][0], result["distances"][0]
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(ids, distances)]


class ModelVectors:
    """Every repository's vectors of one model, searched together (a server's store: search asks Chroma)."""

    missing = 0

    def __init__(self, collections: list[VectorCollection]) -> None:
        self.collections = collections

    def query(self, embedding, limit: int, where: dict | None = None) -> list[tuple[str, float]]:
        """The best ``limit`` of each repository's best, merged."""
        found = [hit for collection in self.collections for hit in collection.query(embedding, limit, where)]
        return sorted(found, key=lambda hit: -hit[1])[:limit]


class VectorStore:
    def __init__(self, client, where: str) -> None:
        self._client = client
        self.where = where  # a folder or a server URL, for doctor and error messages
        self._chroma_url = ""
        self._opened: set[str] = set()  # collections this process's client has opened (vector_parts: holds)

    @classmethod
    def open(cls, settings: Settings, folder: Path) -> "VectorStore":
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        try:
            if settings.chroma_url:
                url = urlparse(settings.chroma_url)
                client = chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                             ssl=url.scheme == "https",
                                             settings=ChromaSettings(anonymized_telemetry=False))
                client.heartbeat()
                store = cls(client, settings.chroma_url)
            else:
                folder.mkdir(parents=True, exist_ok=True)
                store = cls(persistent_client(folder), str(folder))
                _index_log(folder / _DATABASE)
        except Exception as exc:  # chromadb raises many types; the user needs one line
            target = settings.chroma_url or folder
            raise StoreError(f"cannot open the vector store at {target}: {exc}") from exc
        store._chroma_url = settings.chroma_url
        if store._old_layout():
            from filelock import FileLock

            from .vectors_children import move_old

            folder.mkdir(parents=True, exist_ok=True)
            with FileLock(folder / "move.lock"):  # one process moves; the others wait, then find it done
                for name, metadata in store._old_layout().items():
                    move_old(store, name, metadata)
        return store

    @classmethod
    def on_disk(cls, folder: str) -> "VectorStore":
        """The store in ``folder`` as it is, nothing checked or moved: what vectors_children's child processes
        open (handed to them as an argument, so that module needs no import of this one)."""
        return cls(persistent_client(Path(folder)), folder)

    def wrap(self, collection, model: str, dim: int) -> "VectorCollection":
        """A chromadb collection of this store (an old layout's, one per model) read as a VectorCollection."""
        return VectorCollection(collection, model, dim, "")

    @property
    def client(self):
        return self._client

    def matches(self, settings: Settings) -> bool:
        return settings.chroma_url == self._chroma_url

    def is_server(self) -> bool:
        return bool(self._chroma_url)

    # Asked of Chroma at each call, never kept: another process may make or drop a repository's collection.

    def collection(self, model: str, dim: int, repo_id: str) -> VectorCollection:
        """The repository's first part (vector_parts.py): all of a repository that never filled one part."""
        return self.part(model, dim, repo_id, 0)

    def part(self, model: str, dim: int, repo_id: str, part: int) -> VectorCollection:
        """One part of the repository's vectors of this model, made if it is not there."""
        metadata = {"hnsw:space": "cosine", "model": model[:200], "dim": dim, "repo_id": repo_id}
        if part:
            metadata["part"] = part
        name = part_name(collection_name(model, dim, repo_id), part)
        chroma_collection = self._client.get_or_create_collection(name, embedding_function=None, metadata=metadata)
        self._opened.add(name)
        return VectorCollection(chroma_collection, model, dim, repo_id)

    def holds(self, name: str) -> bool:
        """Whether this process's client has opened the collection ``name`` (since it was last dropped here)."""
        return name in self._opened

    def repo_vectors(self, model: str, dim: int, repo_id: str) -> RepoVectors:
        """The repository's vectors of this model over all its parts; nothing is opened until asked."""
        return RepoVectors(self, model, dim, repo_id, collection_name(model, dim, repo_id))

    def existing_collection(self, model: str, dim: int, repo_id: str) -> VectorCollection | None:
        """The repository's collection of this model; None when it has none."""
        from chromadb.errors import NotFoundError

        try:
            name = collection_name(model, dim, repo_id)
            chroma_collection = self._client.get_collection(name, embedding_function=None)
        except (NotFoundError, ValueError):  # (chromadb has raised both for a name it lacks)
            return None
        self._opened.add(name)
        return VectorCollection(chroma_collection, model, dim, repo_id)

    def model_vectors(self, model: str, dim: int) -> ModelVectors:
        """Every repository's collection of this model, for a search that asks Chroma."""
        prefix = collection_name(model, dim) + "-r-"
        found = [self.existing_collection(model, dim, metadata["repo_id"])
                 for name, metadata in self._listed().items() if name.startswith(prefix)]
        return ModelVectors([collection for collection in found if collection is not None])  # dropped meanwhile

    def repo_ids(self) -> set[str]:
        """Every repository that has vectors here, in any model's collection."""
        listed = self._listed()
        self._opened.update(listed)
        return {metadata["repo_id"] for name, metadata in listed.items()
                if self._client.get_collection(name, embedding_function=None).count()}

    def remove_repo(self, repo_id: str) -> int:
        """Drop the repository's collections, of every model, with their index folders (Chroma keeps the bytes
        of deleted vectors in its index files; a collection dropped whole gives them back); returns how many
        vectors went."""
        removed = 0
        for name, metadata in self._listed().items():
            if metadata["repo_id"] == repo_id:
                removed += self._client.get_collection(name, embedding_function=None).count()
                self._drop(name)
        return removed

    def drop_collection(self, model: str, dim: int, repo_id: str) -> None:
        """The repository's vectors of this model, gone with their collections (a model no longer used)."""
        base = collection_name(model, dim, repo_id)
        for name, metadata in self._listed().items():
            if metadata.get("repo_id") == repo_id and part_of(base, name) is not None:
                self._drop(name)

    def _listed(self, old: bool = False) -> dict[str, dict]:
        """name -> metadata of our collections (a shared server may hold other programs'): those of one
        repository, or with ``old`` those of every repository (the layout from before, one per model)."""
        found = {}
        for listed in self._client.list_collections():
            metadata = dict(listed.metadata or {})
            if listed.name.startswith("pharos-") and ("repo_id" not in metadata) == old:
                found[listed.name] = metadata
        return found

    def _old_layout(self) -> dict[str, dict]:
        """name -> metadata of the collections of the layout from before. On disk, asked of Chroma's database
        directly: listing through chromadb takes about half a second at a thousand collections, and every
        open asks."""
        if self._chroma_url:
            return self._listed(old=True)
        try:
            with closing(sqlite3.connect(f"file:{Path(self.where) / _DATABASE}?mode=ro", uri=True)) as conn:
                names = [row[0] for row in conn.execute(
                    "SELECT name FROM collections c WHERE name LIKE 'pharos-%' AND NOT EXISTS (SELECT 1 FROM "
                    "collection_metadata m WHERE m.collection_id = c.id AND m.key = 'repo_id')")]
        except sqlite3.Error:  # a layout we do not know: chromadb's own listing tells
            return self._listed(old=True)
        if not names:
            return {}
        return {name: metadata for name, metadata in self._listed(old=True).items() if name in names}

    def _drop(self, name: str) -> None:
        self._client.delete_collection(name)
        self._opened.discard(name)
        if not self._chroma_url:
            self._drop_unlisted_segments()

    def read_vectors(self, model: str, dim: int, wanted: dict[str, list[str]]):
        """(ids, vectors, metadatas) a page at a time of these chunks of each repository (repository -> chunk
        ids), those with no vector left out; many are read in child processes (vectors_children.py)."""
        from .vectors_children import read_vectors

        yield from read_vectors(self, model, dim, wanted)

    def drop_if_there(self, name: str) -> None:
        """Drop a collection (with its index folder) unless another process dropped it meanwhile."""
        from chromadb.errors import NotFoundError

        try:
            self._drop(name)
        except (NotFoundError, ValueError):
            pass

    def _drop_unlisted_segments(self) -> None:
        """Index folders (named by segment id) that Chroma's own database no longer lists: a dropped collection's
        (chromadb 1.5 leaves them behind)."""
        import shutil

        folder = Path(self.where)
        try:
            with closing(sqlite3.connect(f"file:{folder / _DATABASE}?mode=ro", uri=True)) as conn:
                listed = {row[0] for row in conn.execute("SELECT id FROM segments")}
        except sqlite3.Error:
            return  # a layout we do not know: leave its folders alone
        for entry in folder.iterdir():
            if entry.is_dir() and _SEGMENT_NAME.fullmatch(entry.name) and entry.name not in listed:
                shutil.rmtree(entry, ignore_errors=True)
