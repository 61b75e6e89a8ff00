"""The passes that read or write every repository's collection of a store on disk, a few repositories per child
process: the one-time move of a store of the layout from before (one Chroma collection per model, every repository
in it) into one collection per repository, when the store is opened; and reading the vectors that the search index
lacks (Workspace.update_search_index: all of them after a copy, or once the store was replaced).

chromadb keeps in memory the index of every collection its process has opened, up to thousands of them (and an
index it evicts loses the writes not yet in its files, so that cache is left at its size). A pass over every
repository in one process held every repository's index at once: moving 1,000,000 chunks in 1,109 repositories
peaked at 7.6 GB, reading them all for the search index at 5.3 GB, in the window's process, which kept them. Here
such a pass runs in child processes, one after the other, each taking repositories up to a number of vectors and
then ending, so that its memory goes back to the system; the parent only plans and takes what they read. What a
child wrote that is not yet in its index files (chromadb writes them every thousand writes) is in Chroma's log,
which the next process to open that collection applies, as after a kill -9. A `chroma run` server keeps its own
memory: there the passes run in this process, as before.

The move passes over a repository whose collection already holds all its vectors, so a move cut short (a child
killed, the parent killed) finishes at the next open and loses nothing.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from ..errors import StoreError
from ..run.processes import end_with_parent
from .vector_parts import part_size

log = logging.getLogger(__name__)

# Tests only: "N" kills the process moving after N pages of the move, as a kill -9 would; "parent N" kills its
# parent, the process that opened the store, and goes on moving as if it had not noticed yet.
_KILL_AT = "PHAROS_TEST_VECTORS_MOVE_KILL_AT"
PER_CHILD = "PHAROS_VECTORS_PER_CHILD"  # tests and bench: how many vectors one child reads or writes at most
# About 2.1 KB of memory a vector in the indexes a child reads or writes (on top, for the move, of the old
# collection's whole index, which each child loads once): some 200 MB a child, and few children.
_PER_CHILD = 100_000


def move_old(store, name: str, metadata: dict) -> None:
    """Move the old collection ``name`` of ``store`` (a VectorStore) into one collection per repository, then drop
    it. The caller holds the store's move lock."""
    model, dim = metadata.get("model"), metadata.get("dim")
    if not (model and dim):
        log.warning("vector store: collection %s names no model; left as it is", name)
        return
    folder = Path(store.where)
    counts = None if store.is_server() else _vectors_by_repo(folder, name)
    if counts is None:  # a server, or a database we do not know: here
        _move_here(store, name, model, dim)
        return
    log.warning("vector store: moving the %d vectors of %s into one collection per repository "
                "(once, for faster updates and removals)", sum(counts.values()), model)
    started, batches = time.monotonic(), _batches(counts, _per_child())
    from filelock import FileLock

    with FileLock(folder / "move-child.lock"):
        pass  # a child of a mover that was killed ends first (it ends with its parent, and holds this meanwhile)
    for repo_ids in batches:
        try:
            for _ in in_child(_move_repos, type(store).on_disk, str(folder), name, model, dim, repo_ids):
                pass
        except StoreError as exc:
            raise StoreError(f"cannot move the vector store at {folder} into one collection per repository ({exc}); "
                             "nothing is lost: open it again to finish the move") from None
    store.drop_if_there(name)
    log.warning("vector store: moved %s into %d collections in %.0f s", model, len(counts), time.monotonic() - started)


def _vectors_by_repo(folder: Path, name: str) -> dict[str, int] | None:
    """repository -> its vectors in the collection, read from Chroma's database (chromadb would load the
    collection's whole index to list them); None for a database we do not know. Vectors of no repository are
    left out: there is no repository to search them in."""
    try:
        with closing(sqlite3.connect(f"file:{folder / 'chroma.sqlite3'}?mode=ro", uri=True)) as conn:
            return dict(conn.execute(
                "SELECT m.string_value, COUNT(*) FROM collections c "
                "JOIN segments s ON s.collection = c.id AND s.scope = 'METADATA' "
                "JOIN embeddings e ON e.segment_id = s.id "
                "JOIN embedding_metadata m ON m.id = e.id AND m.key = 'repo_id' "
                "WHERE c.name = ? AND m.string_value IS NOT NULL GROUP BY m.string_value", (name,)))
    except sqlite3.Error:
        return None


def _batches(counts: dict, per_child: int) -> list[list]:
    """The repositories (or a repository's parts) in runs of up to ``per_child`` vectors (a larger one alone)."""
    batches, size = [[]], 0
    for repo_id, count in sorted(counts.items()):
        if batches[-1] and size + count > per_child:
            batches.append([])
            size = 0
        batches[-1].append(repo_id)
        size += count
    return [batch for batch in batches if batch]


def read_vectors(store, model: str, dim: int, wanted: dict[str, list[str]]):
    """(ids, vectors, metadatas) a page at a time of these chunks of each repository (repository -> chunk ids),
    those with no vector left out. More than a child's share of vectors are read in children, and so is every part
    of a repository in parts, unless this process already holds it (vector_parts.py: a process that wrote them
    holds none of them)."""
    if store.is_server():
        yield from _read(store, model, dim, {(repo_id, 0): ids for repo_id, ids in wanted.items() if ids})
        return
    first, later = {}, {}
    for repo_id, ids in wanted.items():
        vectors = store.repo_vectors(model, dim, repo_id)
        first_here = vectors.first_is_read_here()
        for part, taken in vectors.by_part(ids).items():
            (first if part == 0 and first_here else later)[repo_id, part] = taken
    if sum(len(ids) for ids in first.values()) <= _per_child():
        yield from _read(store, model, dim, first)
    else:
        yield from _read_in_children(store, model, dim, first, _per_child())
    yield from _read_in_children(store, model, dim, later, part_size())


def _read_in_children(store, model: str, dim: int, wanted: dict[tuple[str, int], list[str]], per_child: int):
    for keys in _batches({key: len(ids) for key, ids in wanted.items()}, per_child):
        batch = {key: wanted[key] for key in keys}
        try:
            yield from in_child(_read_in_child, type(store).on_disk, store.where, model, dim, batch)
        except StoreError as exc:
            raise StoreError(f"cannot read the vector store at {store.where} ({exc}); nothing is lost: try again") \
                from None


def _read(store, model: str, dim: int, wanted: dict[tuple[str, int], list[str]]):
    """(repository, part) -> chunk ids: the pages of those the part has."""
    for (repo_id, part), ids in wanted.items():
        collection = store.existing_collection(model, dim, repo_id) if part == 0 else store.part(model, dim, repo_id,
                                                                                                 part)
        if collection is not None:
            yield from collection.pages_of(ids)


def _read_in_child(open_store, folder: str, model: str, dim: int, wanted: dict[tuple[str, int], list[str]]):
    yield from _read(open_store(folder), model, dim, wanted)


def _per_child() -> int:
    return int(os.environ.get(PER_CHILD) or _PER_CHILD)


def in_child(function, *args):
    """What ``function(*args)`` yields (None: nothing), run in a child process of its own (spawned: a frozen app
    cannot fork, and the window's process has threads) that ends when it returns. StoreError with the reason
    when it fails."""
    context = multiprocessing.get_context("spawn")
    answers, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, function, args), name="pharos-vectors")
    child.start()
    send.close()  # the child's end alone: its end of the pipe closes when it ends, however it ends
    ended = False
    try:
        while True:
            try:
                kind, value = answers.recv()
            except EOFError:
                kind, value = "failed", "the process doing it stopped unexpectedly"
            if kind == "value":
                yield value
                continue
            ended = True
            if kind == "failed":
                child.join()
                log.warning("vector store: a child process failed (%s); exit code %s", value, child.exitcode)
                raise StoreError(value)
            return
    finally:
        answers.close()
        if not ended:  # the caller stopped reading: the child stops too (as a kill -9 would: nothing is lost)
            child.kill()
        child.join()


def _child(send, function, args) -> None:
    """The child's life: run the function, send what it yields and how it went, end. It never writes on once the
    parent is gone: another process may take the move lock and move the same repositories (ending here midway is
    as a kill -9: resumable)."""
    end_with_parent(1)
    try:
        for value in function(*args) or ():
            send.send(("value", value))
        send.send(("done", None))
    except Exception as exc:  # chromadb raises many types, not all of which cross back to the parent
        send.send(("failed", str(exc) or type(exc).__name__))


def _move_repos(open_store, folder: str, name: str, model: str, dim: int, repo_ids: list[str]) -> None:
    """In the child: move these repositories (``open_store``: VectorStore.on_disk)."""
    from filelock import FileLock

    with FileLock(Path(folder) / "move-child.lock"):
        store = open_store(folder)
        source = store.client.get_collection(name, embedding_function=None)
        pages = 0
        for repo_id in repo_ids:
            _, pages = _move_repo(store, source, model, dim, repo_id, pages)


def _move_here(store, name: str, model: str, dim: int) -> None:
    """The move in this process: a repository at a time, found from the ids left to move."""
    from chromadb.errors import NotFoundError

    try:
        source = store.client.get_collection(name, embedding_function=None)
    except (NotFoundError, ValueError):  # another process moved it meanwhile
        return
    remaining = set(source.get(include=[])["ids"])
    log.warning("vector store: moving the %d vectors of %s into one collection per repository "
                "(once, for faster updates and removals)", len(remaining), model)
    started, pages, repos = time.monotonic(), 0, 0
    while remaining:
        first = next(iter(remaining))
        repo_id = (source.get(ids=[first], include=["metadatas"])["metadatas"][0] or {}).get("repo_id")
        if not repo_id:  # no repository to search it in
            remaining.discard(first)
            continue
        ids, pages = _move_repo(store, source, model, dim, repo_id, pages)
        remaining.difference_update(ids)
        repos += 1
    store.drop_if_there(name)
    log.warning("vector store: moved %s into %d collections in %.0f s", model, repos, time.monotonic() - started)


def _move_repo(store, source, model: str, dim: int, repo_id: str, pages: int) -> tuple[list[str], int]:
    """Copy the repository's vectors from the old collection ``source`` to its own, by id (``pages_of``), unless
    its own already holds them all; returns their ids, and ``pages`` plus the pages written."""
    ids = source.get(where={"repo_id": repo_id}, include=[])["ids"]
    target = store.collection(model, dim, repo_id)
    if target.count() != len(ids):
        for page_ids, vectors, metadatas in store.wrap(source, model, dim).pages_of(ids):
            target.upsert(page_ids, vectors, metadatas)
            pages += 1
            _crash_point(pages)
    return ids, pages


def _crash_point(pages: int) -> None:
    kill = getattr(signal, "SIGKILL", signal.SIGTERM)
    if os.environ.get(_KILL_AT) == str(pages):
        os.kill(os.getpid(), kill)
    parent = multiprocessing.parent_process()
    if parent is not None and os.environ.get(_KILL_AT) == f"parent {pages}":
        os.kill(parent.pid, kill)
