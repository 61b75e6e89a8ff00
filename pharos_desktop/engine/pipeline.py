"""Parse -> embed -> store, overlapped through bounded queues.

A pool of parse workers reads and chunks files; one embed stage owns the model (and the device) and
encodes chunks in length-sorted batches; one store stage is the only writer of the vectors and the
catalog, through the repository's LocalIndex (which keeps the two agreeing). The model never waits on
parsing or writes longer than one batch.

What bounds an ingest's memory (bench/bench_ingest_memory.py samples it against chunks stored):
- the queues: at most 256 parsed files wait for the model, a pool of POOL_BATCHES batches is encoded at
  once, and a file's chunks and vectors are dropped once the store stage has written them;
- the model's runtime may keep what it made for every input shape it meets: OpenVINO ~8 MB a shape, so its
  batches come in a few shapes only (onnx_model.batch_shapes): fed every width, it grew by gigabytes; ONNX
  Runtime keeps nothing per shape once its memory patterns are off. Each batch holds at most 4,096 tokens,
  torch's on a CPU too (its attention scores are width squared);
- the keyword tokenizer's caches have a fixed size (words.py, 65,536 runs each);
- Chroma keeps the index of every collection a process writes in memory (about 2 KB a vector) until the
  process ends: so a repository's vectors are in parts of 10,000, and a large run holds none of them itself:
  each part is written by a child process that ends when the next part begins (index/vector_parts.py);
- the finish brings the search index up to date (vector_index.py: only the changed rows are read and
  appended, each part of a repository in parts by a child process; a first build reads the store page by
  page).
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .run.cancel import CancelToken
from .index.catalog import ChunkRecord, FileRecord
from .model.embedder import expected_window_chars
from .errors import Cancelled, GrammarMissing
from .files.scan import UNSUPPORTED_TYPE, FileEntry, read_text
from .parse import detect_language, file_imports, parse_source
from .local_index import FileWork, LocalIndex
from .summaries import embedding_text

if TYPE_CHECKING:
    from .run.task import Task
    from .settings import Settings

log = logging.getLogger(__name__)

_DONE = object()  # end-of-stream marker passed down the queues
POOL_BATCHES = 8  # texts gathered before encoding, in batches: sorting a larger pool by length pads less
# A file at the default size cap (1 MB) of ordinary code makes 1,000-2,000 chunks; many more means
# something machine-made slipped past the content rules, and it would flood the index.
MAX_CHUNKS_PER_FILE = 5_000
TOO_MANY_CHUNKS = "too many chunks"


# One thread runs model calls, so that a cancelled job can stop waiting for a call it cannot interrupt.
_MODEL_CALLS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pharos-model")


@dataclass
class PipelineStats:
    parsed: int = 0
    unchanged: int = 0
    stored: int = 0
    embedded: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)


def chunk_id(repo_id: str, path: str, content_hash: str, ordinal: int) -> str:
    return hashlib.sha1(f"{repo_id}\0{path}\0{content_hash}\0{ordinal}".encode()).hexdigest()[:32]


class _StageClock:
    """Wall time from a stage's first item to its last, for the benchmark's per-stage figures."""

    def __init__(self) -> None:
        self.start: float | None = None
        self.end: float | None = None

    def tick(self) -> None:
        now = time.perf_counter()
        self.start = self.start if self.start is not None else now
        self.end = now

    @property
    def seconds(self) -> float:
        return (self.end - self.start) if self.start is not None and self.end is not None else 0.0


class Pipeline:
    def __init__(self, *, index: LocalIndex, embedder: Future, window_chars: int, batch_size: int,
                 max_file_bytes: int, include_code: bool, task: Task, parse_workers: int = 0,
                 store_batch_files: int = 64) -> None:
        self.index = index
        self.repo_id = index.repo_id
        self.embedder_future = embedder  # parsing starts while the model is still loading
        self.window_chars = window_chars
        self.batch_size = batch_size
        self.max_file_bytes = max_file_bytes
        self.include_code = include_code
        self.task = task
        self.workers = parse_workers or max(1, (os.cpu_count() or 2) - 1)
        self.store_batch_files = store_batch_files
        self.stats = PipelineStats()
        self._model_calls = _MODEL_CALLS
        self._stop = CancelToken()  # set on user cancel or on any stage failure
        self._error: BaseException | None = None
        self._clocks = {stage: _StageClock() for stage in ("parse", "embed", "store")}
        self._stats_lock = threading.Lock()

    @classmethod
    def with_settings(cls, index: LocalIndex, settings: Settings, task: Task) -> "Pipeline":
        """The pipeline the user's settings ask for, into ``index``, with its model (loading since the run began)."""
        model = index.load_model()
        if not model.done():
            task.message("loading the embedding model")
        return cls(index=index, embedder=model, window_chars=expected_window_chars(settings),
                   batch_size=settings.batch_size, max_file_bytes=settings.max_file_bytes,
                   include_code=settings.embed_code, task=task,
                   parse_workers=settings.parse_workers or settings.max_cores)

    # -- driver ---------------------------------------------------------------------------------

    def run(self, entries: list[FileEntry]) -> PipelineStats:
        self._known = self.index.known
        self._meters = {
            "parse": self.task.meter("parse", len(entries), "files"),
            "embed": self.task.meter("embed", 0, "chunks"),
            "store": self.task.meter("store", len(entries), "files"),
        }
        for meter in self._meters.values():
            meter.flush()
        todo: queue.Queue = queue.Queue()
        for entry in entries:
            todo.put(entry)
        parsed: queue.Queue = queue.Queue(maxsize=256)
        embedded: queue.Queue = queue.Queue(maxsize=8)
        parse_threads = [threading.Thread(target=self._guard, args=(self._parse_loop, todo, parsed),
                                          name=f"pharos-parse-{n}", daemon=True) for n in range(self.workers)]
        embed_thread = threading.Thread(target=self._guard, args=(self._embed_loop, parsed, embedded, len(parse_threads)),
                                        name="pharos-embed", daemon=True)
        store_thread = threading.Thread(target=self._guard, args=(self._store_loop, embedded),
                                        name="pharos-store", daemon=True)
        threads = [*parse_threads, embed_thread, store_thread]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            if self.task.cancel.wait(0.05):
                self._stop.cancel()
            for thread in threads:
                thread.join(timeout=0)
        for meter in self._meters.values():
            meter.flush()
        self.stats.stage_seconds = {stage: clock.seconds for stage, clock in self._clocks.items()}
        if self._error is not None:
            raise self._error
        if self.task.cancel.cancelled:
            raise Cancelled()
        return self.stats

    def _guard(self, loop, *args) -> None:
        try:
            loop(*args)
        except Cancelled:
            self._stop.cancel()
        except BaseException as exc:  # noqa: BLE001 - any stage failure stops the whole pipeline
            log.exception("pipeline stage failed")
            if self._error is None:
                self._error = exc
            self._stop.cancel()

    def _put(self, q: queue.Queue, item) -> None:
        """Put that gives up when the pipeline stops, so no thread blocks forever on a full queue."""
        while not self._stop.cancelled:
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise Cancelled()

    def _skip(self, entry: FileEntry, reason: str, content_hash: str = "", language: str | None = None) -> FileWork:
        self.task.skipped(entry.path, reason)
        with self._stats_lock:
            self.stats.skipped[reason] = self.stats.skipped.get(reason, 0) + 1
        return FileWork(FileRecord(entry.path, language, entry.size, entry.mtime_ns, content_hash, reason))

    # -- stages ---------------------------------------------------------------------------------

    def _parse_loop(self, todo: queue.Queue, out: queue.Queue) -> None:
        try:
            while not self._stop.cancelled:
                try:
                    entry = todo.get_nowait()
                except queue.Empty:
                    return
                work = self._parse_one(entry)
                self._clocks["parse"].tick()
                self._meters["parse"].advance(1, entry.path)
                self._put(out, work)
        finally:
            if not self._stop.cancelled:
                self._put(out, _DONE)

    def _parse_one(self, entry: FileEntry) -> FileWork:
        language = detect_language(entry.path)
        if language is None:
            return self._skip(entry, UNSUPPORTED_TYPE)
        text, skip_reason, content_hash = read_text(entry, self.max_file_bytes, language)
        if skip_reason:
            return self._skip(entry, skip_reason, content_hash, language)
        before = self._known.get(entry.path)
        if before and before.skip_reason is None and before.content_hash == content_hash:
            with self._stats_lock:
                self.stats.unchanged += 1
            imports = file_imports(text or "", language) if self.index.refresh_imports else None
            return FileWork(FileRecord(entry.path, language, entry.size, entry.mtime_ns, content_hash,
                                       None, before.chunk_count), unchanged=True, imports=imports)
        try:
            chunks, imports = parse_source(entry.path, text or "", language, max_chars=self.window_chars)
        except GrammarMissing:
            raise
        except Exception as exc:  # noqa: BLE001 - one odd file must not stop the repository
            log.warning("cannot parse %s: %s", entry.path, exc)
            return self._skip(entry, "parse error", content_hash, language)
        if len(chunks) > MAX_CHUNKS_PER_FILE:
            log.warning("%s makes %d chunks (cap %d): skipped", entry.path, len(chunks), MAX_CHUNKS_PER_FILE)
            return self._skip(entry, TOO_MANY_CHUNKS, content_hash, language)
        records = [
            ChunkRecord(chunk_id(self.repo_id, entry.path, content_hash, n), self.repo_id, entry.path, n, c.kind,
                        c.symbol, c.language, c.start_line, c.end_line, c.signature, c.summary, list(c.deps), c.code,
                        embedding_text(c, self.include_code, self.window_chars))
            for n, c in enumerate(chunks)]
        with self._stats_lock:
            self.stats.parsed += 1
        return FileWork(FileRecord(entry.path, language, entry.size, entry.mtime_ns, content_hash, None,
                                   len(records)), records, imports=imports)

    def _embed_loop(self, inbox: queue.Queue, out: queue.Queue, producers: int) -> None:
        embedder = None  # waited for at the first text to embed: a run with none never needs the model
        finished_producers = 0
        pending: list[FileWork] = []
        waiting_texts = 0
        pool = self.batch_size * POOL_BATCHES
        while finished_producers < producers:
            if self._stop.cancelled:
                raise Cancelled()
            try:
                item = inbox.get(timeout=0.05)
            except queue.Empty:
                item = None
            if item is _DONE:
                finished_producers += 1
            elif item is not None and not item.chunks:
                self._put(out, item)  # nothing to embed: unchanged or skipped
            elif item is not None:
                pending.append(item)
                waiting_texts += len(item.chunks)
                self._meters["embed"].total = (self._meters["embed"].total or 0) + len(item.chunks)
            # Encode a full pool; or at least one full batch when parsing has nothing more right now, so the
            # model never idles waiting for it.
            if pending and (waiting_texts >= pool or (item is None and waiting_texts >= self.batch_size)):
                embedder = embedder or self._stop.result(self.embedder_future)
                self._embed_files(embedder, pending, out)
                pending, waiting_texts = [], 0
        if pending:
            self._embed_files(embedder or self._stop.result(self.embedder_future), pending, out)
        self._put(out, _DONE)

    def _embed_files(self, embedder, files: list[FileWork], out: queue.Queue) -> None:
        """Embed the chunks of ``files`` in full batches of similar length, then pass the files on. A chunk whose
        text the file had before keeps the vector it had (LocalIndex.earlier_chunks), read once the others are
        embedded: meanwhile the store opens (LocalIndex.open_collection_early)."""
        import numpy as np

        texts = [c.embedded_text for w in files for c in w.chunks]
        vectors = np.zeros((len(texts), embedder.dim), dtype="float32")
        earlier = self.index.earlier_chunks(files, embedder)
        fresh = [n for n, text in enumerate(texts) if text not in earlier]
        self._embed(embedder, texts, fresh, vectors)
        kept = self.index.stored_vectors(sorted(set(earlier.values())))
        lacking = []  # a vector the store lost: made again
        for n, text in enumerate(texts):
            if text in earlier:
                if earlier[text] in kept:
                    vectors[n] = kept[earlier[text]]
                else:
                    lacking.append(n)
        self._embed(embedder, texts, lacking, vectors)
        self._meters["embed"].advance(len(texts) - len(fresh) - len(lacking))
        offset = 0
        for work in files:
            work.vectors = vectors[offset:offset + len(work.chunks)]
            offset += len(work.chunks)
        with self._stats_lock:
            self.stats.embedded += len(fresh) + len(lacking)
        for work in files:
            self._put(out, work)

    def _embed(self, embedder, texts: list[str], which: list[int], vectors) -> None:
        """Embed ``texts[n]`` for each n in ``which`` into ``vectors[n]``, in batches of similar length."""
        order = sorted(which, key=lambda n: len(texts[n]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            # A model call cannot be interrupted: on cancel the job stops waiting and the call's result is dropped.
            vectors[batch] = self._stop.result(
                self._model_calls.submit(embedder.embed_documents, [texts[n] for n in batch]))
            self._clocks["embed"].tick()
            self._meters["embed"].advance(len(batch))

    def _store_loop(self, inbox: queue.Queue) -> None:
        batch: list[FileWork] = []
        while True:
            try:
                item = inbox.get(timeout=0.1)
            except queue.Empty:
                item = None
                if self._stop.cancelled:
                    raise Cancelled()
            if item is _DONE:
                break
            if item is not None:
                batch.append(item)
            if batch and (len(batch) >= self.store_batch_files or item is None):
                self._store(batch)
                batch = []
        if batch:
            self._store(batch)

    def _store(self, batch: list[FileWork]) -> None:
        self.index.store(batch)
        self._clocks["store"].tick()
        with self._stats_lock:
            self.stats.stored += len(batch)
        self._meters["store"].advance(len(batch), batch[-1].record.path)
