"""A repository's vectors of one model in parts: Chroma collections of up to ``part_size()`` vectors each, so
that no process writing a large repository holds more than one part's index, never the repository's.

chromadb keeps in memory the index of every collection its process has opened or written, about 2 KB a vector,
and gives it back only when the process ends (bench/bench_chroma_memory.py). An ingest that wrote a large
repository into one collection grew by that much with every chunk. The rules here:

- Part 0 is the repository's collection as it always was (vectors.collection_name); part k is that name + "-pK".
- A run that writes much holds no part itself: it reads and writes every part through its PartServer, a child
  process that ends when the writing moves on to a new part; so no part has two writers, and the memory a part
  took goes back to the system with its child. A run that writes little (``new_into_first``), or a process whose
  Chroma client already opened the first part, uses part 0 in its own process: starting a child would cost more
  than the memory, and a client that opened a collection fails on what another process wrote to it since.
- A vector lives in one part: an upsert of an id that some part lists goes to that part; a new id goes to the
  first part with room (under ``part_size()``: what deletions free is filled again, so a repository has about as
  many parts as it needs), or to a new part after the last; in a run that writes little, to the first part.
- Which part lists what is read from Chroma's database (opening no index). On a `chroma run` server, which keeps
  its own memory, a repository has its one collection, as before.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import re
import sqlite3
import threading
from collections import defaultdict
from contextlib import closing
from pathlib import Path

from ..errors import StoreError
from ..run.processes import end_with_parent

log = logging.getLogger(__name__)

PER_PART = "PHAROS_VECTORS_PER_PART"  # tests and bench: vectors a part holds before the next one begins
# 10,000 vectors: about 20 MB of index, in the writer or in its child; a child costs 2 to 3 s to start on a busy
# 2-core machine (spawn, chromadb's import), once a part.
_PER_PART = 10_000
_DATABASE = "chroma.sqlite3"
_PAGE = 500  # ids a query of Chroma's database names at most (SQLite allows 999 variables by default)


def part_size() -> int:
    return max(1, int(os.environ.get(PER_PART) or _PER_PART))


def part_name(base: str, part: int) -> str:
    return base if part == 0 else f"{base}-p{part}"


def part_of(base: str, name: str) -> int | None:
    if name == base:
        return 0
    found = re.fullmatch(re.escape(base) + r"-p([1-9][0-9]*)", name)
    return int(found.group(1)) if found else None


def read_parts(folder: Path, base: str) -> dict[int, tuple[str, int]]:
    """part -> (its metadata segment, the vectors it lists) of the collections named from ``base``, as Chroma's
    database has them now."""
    with closing(sqlite3.connect(f"file:{folder / _DATABASE}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT c.name, s.id, (SELECT COUNT(*) FROM embeddings e WHERE e.segment_id = s.id) FROM collections c "
            "JOIN segments s ON s.collection = c.id AND s.scope = 'METADATA' WHERE c.name = ? OR c.name GLOB ?",
            (base, base + "-p[1-9]*")).fetchall()
    return {part: (segment, count) for name, segment, count in rows if (part := part_of(base, name)) is not None}


def _homes(folder: Path, parts: dict[int, tuple[str, int]], ids: list[str]) -> dict[str, int]:
    """id -> the part that lists it, of these ids."""
    return dict(_by_segment(folder, parts, ids, "SELECT embedding_id, segment_id FROM embeddings "
                                                "WHERE embedding_id IN ({items}) AND segment_id IN ({segments})"))


def _parts_with_paths(folder: Path, parts: dict[int, tuple[str, int]], paths: list[str]) -> set[int]:
    """The parts that list a vector of one of these files."""
    return {part for _, part in _by_segment(
        folder, parts, paths, "SELECT DISTINCT m.string_value, e.segment_id FROM embedding_metadata m JOIN embeddings "
                              "e ON e.id = m.id WHERE m.key = 'path' AND m.string_value IN ({items}) "
                              "AND e.segment_id IN ({segments})")}


def _by_segment(folder: Path, parts: dict[int, tuple[str, int]], items: list[str], sql: str):
    """(value, part) rows of ``sql`` asked of Chroma's database a page of ``items`` at a time, over the parts'
    metadata segments (the query's second column names the segment)."""
    part_of_segment = {segment: part for part, (segment, _) in parts.items()}
    if not part_of_segment:
        return
    with closing(sqlite3.connect(f"file:{folder / _DATABASE}?mode=ro", uri=True)) as conn:
        for start in range(0, len(items), _PAGE):
            page = items[start:start + _PAGE]
            query = sql.format(items=",".join("?" * len(page)), segments=",".join("?" * len(part_of_segment)))
            for value, segment in conn.execute(query, (*page, *part_of_segment)):
                yield value, part_of_segment[segment]


def _free_slots(parts: dict[int, tuple[str, int]], size: int):
    """The part of each new vector, one after the other: the room left in the parts there are, first first, then
    new parts after the last."""
    for part, (_, count) in sorted(parts.items()):
        yield from [part] * max(0, size - count)
    part = max(parts, default=-1) + 1
    while True:
        yield from [part] * size
        part += 1


def _one(parts: dict[int, tuple[str, int]] | None) -> bool:
    """Whether the repository is its collection alone, as before parts (or on a store whose parts are not known)."""
    return parts is None or set(parts) <= {0}


class RepoVectors:
    """The vectors of one repository made by one model, over its parts: what ingest and doctor read and write
    (the methods of vectors.VectorCollection that they use, which each part has). ``close`` ends its PartServer."""

    def __init__(self, store, model: str, dim: int, repo_id: str, base: str) -> None:
        self.store = store
        self.model, self.dim, self.repo_id = model, dim, repo_id
        self._base = base
        self._folder = None if store.is_server() else Path(store.where)
        self._first = None  # part 0, in this process
        self._first_here: bool | None = None  # whether part 0 is used in this process: fixed at its first use
        self._server: PartServer | None = None
        # A run that writes little (an edit followed live, a branch switch) puts its new vectors in the first part,
        # past its size: starting a child for them would cost more (~2 s) than the memory they take.
        self.new_into_first = False
        self._lock = threading.RLock()  # one request at a time: the server's pipe, and moving to a new part

    # -- writing --------------------------------------------------------------------------------

    def upsert(self, ids: list[str], embeddings, metadatas: list[dict]) -> None:
        import numpy as np

        with self._lock:
            parts = self._parts()
            if parts is None:
                self._on(0, "upsert", ids, embeddings, metadatas)
                return
            size = part_size()
            if set(parts) <= {0} and (self.new_into_first or parts.get(0, ("", 0))[1] + len(ids) <= size):
                rows = {0: list(range(len(ids)))}  # the first part alone, with room for them all
            else:
                homes = self._homes(parts, ids)
                slots = itertools.repeat(0) if self.new_into_first else _free_slots(parts, size)
                rows = defaultdict(list)
                for n, chunk_id in enumerate(ids):
                    rows[homes[chunk_id] if chunk_id in homes else next(slots)].append(n)
            matrix = np.asarray(embeddings)
            for part, taken in sorted(rows.items()):
                if part not in parts and self._server is not None and self._server.used:
                    self._server.close()  # a new part: the child that held the others ends, and their memory
                    self._server = None
                self._on(part, "upsert", [ids[n] for n in taken], matrix[taken], [metadatas[n] for n in taken])

    def delete_paths(self, paths: list[str]) -> None:
        with self._lock:
            parts = self._parts()
            if _one(parts):
                self._on(0, "delete_paths", paths)
                return
            for part in sorted(self._asked(_parts_with_paths, self._folder, parts, paths)):
                self._on(part, "delete_paths", paths)

    def delete_ids(self, ids: list[str]) -> None:
        with self._lock:
            for part, taken in self.by_part(ids).items():
                self._on(part, "delete_ids", taken)

    # -- reading --------------------------------------------------------------------------------

    def by_part(self, ids: list[str]) -> dict[int, list[str]]:
        """part -> those of these ids that it lists (ids no part lists left out, but with one part all go to it)."""
        with self._lock:
            parts = self._parts()
            if _one(parts):
                return {0: list(ids)} if ids else {}
            grouped: dict[int, list[str]] = defaultdict(list)
            for chunk_id, part in self._homes(parts, list(ids)).items():
                grouped[part].append(chunk_id)
            return dict(sorted(grouped.items()))

    def ids(self) -> set[str]:
        with self._lock:
            parts = self._parts()
            if _one(parts):
                return self._on(0, "ids")
            return set().union(*(self._on(part, "ids") for part in sorted(parts)))

    def lacking(self, ids: set[str], listed: set[str]) -> set[str]:
        """As VectorCollection.lacking, part by part."""
        with self._lock:
            parts = self._parts()
            if _one(parts):
                return self._on(0, "lacking", ids, listed)
            missing = ids - listed
            for part, taken in self.by_part(sorted(ids & listed)).items():
                found = set(taken)
                missing |= self._on(part, "lacking", found, found)
            return missing

    def pages_of(self, ids: list[str], page: int = 1000):
        for part, taken in self.by_part(ids).items():
            if part == 0 and self._first_is_here():
                yield from self._part0().pages_of(taken, page)
            else:
                with self._lock:
                    pages = self._on(part, "pages_of", taken, page)
                yield from pages

    def first_is_read_here(self) -> bool:
        """Whether a pass that reads this repository's vectors (vectors_children.read_vectors) reads its first part
        in this process: where this process already uses it, or where it is the whole repository. A repository in
        parts was written through children, so that this process need not hold the first part's index either."""
        with self._lock:
            return self._first_is_here() or _one(self._parts())

    def prepare(self) -> None:
        """Start the child this run writes through now, where it will write so (its start, ~2 s of chromadb's
        import, then overlaps the model's load and the parse rather than the first write)."""
        with self._lock:
            if not self._first_is_here() and self._server is None:
                self._server = PartServer(self.store, self.model, self.dim, self.repo_id)

    def close(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.close()
                self._server = None

    # -- parts ----------------------------------------------------------------------------------

    def _parts(self) -> dict[int, tuple[str, int]] | None:
        """None on a server (one part); on disk, an unreadable database is an error, never "one part": writes
        would then go where reads do not look, and a vector could be in two parts."""
        return None if self._folder is None else self._asked(read_parts, self._folder, self._base)

    def _homes(self, parts: dict[int, tuple[str, int]], ids: list[str]) -> dict[str, int]:
        return self._asked(_homes, self._folder, parts, ids)

    def _asked(self, query, *args):
        try:
            return query(*args)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the vector store's database at {self.store.where} ({exc})") from exc

    def _first_is_here(self) -> bool:
        if self._first_here is None:
            self._first_here = self._folder is None or self.new_into_first or self.store.holds(self._base)
        return self._first_here

    def _part0(self):
        if self._first is None:
            self._first = self.store.part(self.model, self.dim, self.repo_id, 0)
        return self._first

    def _on(self, part: int, method: str, *args):
        if part == 0 and self._first_is_here():
            return getattr(self._part0(), method)(*args)
        if self._server is None:
            self._server = PartServer(self.store, self.model, self.dim, self.repo_id)
        return self._server.call(part, method, *args)


class PartServer:
    """A child process that does what this process asks of a repository's parts (VectorCollection's methods), one
    request at a time, and ends when closed or when this process ends (killed or not: as a kill -9, what it wrote
    is in Chroma's log, applied by the next process to open the part)."""

    def __init__(self, store, model: str, dim: int, repo_id: str) -> None:
        context = multiprocessing.get_context("spawn")  # a frozen app cannot fork; the window's process has threads
        self._pipe, child_end = context.Pipe()
        self._where = store.where
        self._process = context.Process(target=_serve, args=(child_end, type(store).on_disk, store.where, model, dim,
                                                              repo_id), name="pharos-vector-part", daemon=True)
        self._process.start()
        child_end.close()
        self.used = False  # asked anything yet

    def call(self, part: int, method: str, *args):
        self.used = True
        try:
            self._pipe.send((part, method, args))
            kind, value = self._pipe.recv()
        except (EOFError, OSError):
            self._process.join(5)
            raise StoreError(f"the process writing the vector store at {self._where} stopped unexpectedly (exit "
                             f"code {self._process.exitcode}); nothing is lost: run the ingest again") from None
        if kind == "failed":
            raise StoreError(f"cannot use the vector store at {self._where}: {value}")
        return value

    def close(self) -> None:
        try:
            self._pipe.send(None)
        except OSError:
            pass
        self._process.join(60)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._pipe.close()


def _serve(pipe, open_store, folder: str, model: str, dim: int, repo_id: str) -> None:
    end_with_parent(1)
    store = open_store(folder)
    parts: dict[int, object] = {}
    while True:
        try:
            request = pipe.recv()
        except EOFError:
            return
        if request is None:
            return
        part, method, args = request
        try:
            if part not in parts:
                parts[part] = store.part(model, dim, repo_id, part)
            value = getattr(parts[part], method)(*args)
            pipe.send(("ok", list(value) if method == "pages_of" else value))
        except Exception as exc:  # noqa: BLE001 - chromadb raises many types; the parent needs the line
            pipe.send(("failed", str(exc) or type(exc).__name__))
