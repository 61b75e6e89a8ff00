"""What vector search reads: a compact, quantized copy of one model's vectors, memory-mapped, kept up to date
by the catalog's changes rather than written again whole.

Chroma stays the store that ingest writes and sync reads. But importing chromadb alone takes longer than the
command line's whole search budget, and its float32 vectors of a million chunks would not fit the memory a search
may use. So search reads this folder (one per model, ``search-index/<collection>/``):

- the rows, only ever appended: each vector as int8 with its scale (``<base>.i8``, ``<base>.scale``), its sign
  bits (``<base>.bits``), its chunk id (``<base>.ids``) and the fields search filters on, as codes
  (``<base>.fields``);
- which rows are live (``alive-<n>.npy``, one byte a row, written whole by each update);
- ``manifest.json``: how many rows count, the names of those files, and the key (catalog and store) they match.

An update appends the new chunks' rows, writes a new live-rows file, then the manifest (one atomic replace).
Killed anywhere before that replace, it leaves the previous manifest, naming the previous catalog state: the next
reader finds the index stale and catches it up (rows past the manifest's count are cut off first). A reader
copies the live rows when it opens and maps only the rows its manifest counts, so an update or a compaction by
another process never changes the answers of an index already open (the assistants' server keeps its view so).

Search: up to EXACT_ROWS rows, their vectors are held as float32 and scanned exactly (what the earlier float16
snapshot did). Above, the query's sign bits are compared with every row's (Hamming distance: 48 bytes a row
for 384 dimensions) and the RESCORE nearest are scored with their int8 vectors. docs/benchmarks.md has the
measurements that chose this over HNSW (usearch) and faiss.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

FORMAT = 2
EXACT_ROWS = 50_000  # below this an exact float32 scan (at most 77 MB held) is faster than the two steps
RESCORE = 1000  # rows scored with int8 after the sign-bit scan; recall@10 0.99+ against exact (benchmarks.md)
FILTER_FIELDS = ("repo_id", "language", "kind")
_BLOCK = 131_072  # rows per step of a scan or a copy: bounds the temporary arrays
_KILL_AT = "PHAROS_TEST_VECTOR_INDEX_KILL_AT"  # tests only: die at that point of an update, as a kill -9 would


def _crash_point(name: str) -> None:
    if os.environ.get(_KILL_AT) == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def _words(dim: int) -> int:
    return -(-dim // 64)  # a row's sign bits in whole 64-bit words


def _files(base: str, dim: int, width: int) -> dict[str, tuple[str, str, tuple]]:
    """name -> (file, dtype, shape of one row). The sign bits are kept a word to a file: a scan then reads each
    word of every row in one contiguous run (three times faster than rows of words, measured)."""
    bits = {f"bits{n}": (f"{base}.bits{n}", "uint64", ()) for n in range(_words(dim))}
    return {"i8": (f"{base}.i8", "int8", (dim,)), "scale": (f"{base}.scale", "float32", ()), **bits,
            "fields": (f"{base}.fields", "int32", (len(FILTER_FIELDS),)), "ids": (f"{base}.ids", f"S{width}", ())}


def _read_manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None


def _map(folder: Path, manifest: dict) -> dict:
    import numpy as np

    rows, dim = manifest["rows"], manifest["dim"]
    arrays = {}
    for name, (file, dtype, shape) in _files(manifest["base"], dim, manifest["id_width"]).items():
        if rows == 0:
            arrays[name] = np.zeros((0, *shape), dtype=dtype)
        else:
            arrays[name] = np.memmap(folder / file, dtype=dtype, mode="r", shape=(rows, *shape))
    return arrays


def _popcount(words, out=None):
    """Set bits of each uint64 (as uint8), into ``out`` where given."""
    import numpy as np

    if hasattr(np, "bitwise_count"):  # numpy 2.0+
        return np.bitwise_count(words, out=out)
    table = np.array([bin(n).count("1") for n in range(256)], dtype="uint8")
    return table[words.view("uint8")].reshape(*words.shape, 8).sum(axis=-1, dtype="uint8")


def _counts_by_repo(fields, alive, names: list[str]) -> dict[str, int]:
    import numpy as np

    codes = np.asarray(fields[:, 0])[alive]
    return {names[code]: int(n) for code, n in enumerate(np.bincount(codes, minlength=len(names))) if n}


def _sign_words(vectors):
    """Each row's sign bits, as whole uint64 words."""
    import numpy as np

    bits = np.packbits(vectors > 0, axis=1)
    padded = np.zeros((len(vectors), _words(vectors.shape[1]) * 8), dtype="uint8")
    padded[:, :bits.shape[1]] = bits
    return padded.view("uint64")


class VectorIndex:
    """Answers ``query`` like VectorCollection.query (cosine similarity, best first) from the mapped rows."""

    def __init__(self, manifest: dict, arrays: dict, alive, folder: Path | None = None) -> None:
        self.key = manifest["key"]
        self._folder = folder
        self.missing = manifest["missing"]  # chunks of the catalog, made by this model, that the store had no vector for
        self.manifest = manifest
        self._arrays = arrays
        self._alive = alive  # a copy: another process's later updates do not change what this index answers
        self._dense = None  # float32 vectors of a small index, made at its first query

    @classmethod
    def open(cls, folder: Path, key: str) -> "VectorIndex | None":
        """The index in ``folder`` if it was made for ``key``; None if missing, stale or damaged."""
        import numpy as np

        for _ in range(3):  # a compaction by another process may remove the files between manifest and map
            manifest = _read_manifest(folder)
            if manifest is None or manifest["key"] != key:
                return None
            try:
                alive = np.load(folder / manifest["alive"], allow_pickle=False)
                if len(alive) != manifest["rows"]:
                    raise ValueError(f"{manifest['alive']} has {len(alive)} rows, not {manifest['rows']}")
                return cls(manifest, _map(folder, manifest), alive, folder)
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as exc:  # damaged: made again
                log.info("search index %s not usable: %s", folder, exc)
                return None
        return None

    def count(self) -> int:
        return int(self._alive.sum())

    def counts_by_repo(self) -> dict[str, int]:
        """Live rows per repository: what the catalog's chunks with vectors should number."""
        return _counts_by_repo(self._arrays["fields"], self._alive, self.manifest["vocab"]["repo_id"])

    def query(self, embedding, limit: int, where: dict | None = None) -> list[tuple[str, float]]:
        import numpy as np

        query = np.asarray(embedding, dtype="float32")
        mask = self._mask(where)
        limit = min(limit, int(mask.sum()))
        if limit <= 0:
            return []
        if len(mask) <= EXACT_ROWS:
            if self._dense is None:
                self._dense = self._arrays["i8"].astype("float32") * self._arrays["scale"][:, None]
            rows = np.flatnonzero(mask)
            scores = self._dense[rows] @ query if len(rows) < len(mask) else self._dense @ query
        else:
            rows = self._nearest_by_bits(query, mask, max(RESCORE, 4 * limit))
            scores = (self._read_rows(rows).astype("float32") @ query) * self._arrays["scale"][rows]
        best = np.argpartition(-scores, limit - 1)[:limit]
        best = best[np.argsort(-scores[best], kind="stable")]
        ids = self._arrays["ids"]
        return [(ids[rows[n]].decode(), float(scores[n])) for n in best]

    def _read_rows(self, rows):
        """These int8 rows, read from the file rather than through its map: a mapped page fault maps its
        neighbours too, which put some 150 MB of a million-row index into a search process for 5 queries."""
        import numpy as np

        dim = self.manifest["dim"]
        if self._folder is None:
            return np.asarray(self._arrays["i8"][rows])
        out = bytearray(len(rows) * dim)
        with open(self._folder / f"{self.manifest['base']}.i8", "rb") as data:  # of its own: threads may query
            for n, row in enumerate(rows.tolist()):
                data.seek(row * dim)
                out[n * dim:(n + 1) * dim] = data.read(dim)
        return np.frombuffer(out, dtype="int8").reshape(len(rows), dim)

    def _nearest_by_bits(self, query, mask, count: int):
        """The ``count`` masked rows whose sign bits differ least from the query's, in row order."""
        import numpy as np

        words = _sign_words(query[None, :])[0]
        # One buffer per step, reused for every word: a fresh 8 MB array per word and step cost page faults
        # that took as long as the arithmetic (a million rows).
        distance = np.zeros(len(mask), dtype="uint16")
        differ = np.empty(len(mask), dtype="uint64")
        bits = np.empty(len(mask), dtype="uint8")
        for n, word in enumerate(words):
            np.bitwise_xor(self._arrays[f"bits{n}"], word, out=differ)
            np.add(distance, _popcount(differ, bits), out=distance)
        if not mask.all():
            distance[~mask] = np.iinfo("uint16").max
        # The distances are small whole numbers: the count of each finds the cut (far quicker than a partition).
        cut = int(np.searchsorted(np.cumsum(np.bincount(distance)), min(count, int(mask.sum()))))
        rows = np.flatnonzero(distance <= cut)  # in file order: the int8 rows are read front to back
        if len(rows) > 4 * count:  # many rows tie at the cut
            rows = np.sort(rows[np.argpartition(distance[rows], count - 1)[:count]])
        return rows

    def _mask(self, where: dict | None):
        """The live rows that pass Chroma's ``where`` as search.py builds it: {field: {"$in": [...]}} or
        {"$and": [those]} (not to be written to: without a filter it is the live rows themselves)."""
        import numpy as np

        if not where:
            return self._alive
        mask = self._alive.copy()
        fields = self._arrays["fields"]
        for clause in where.get("$and", [where]):
            for name, condition in clause.items():
                column = FILTER_FIELDS.index(name)
                vocab = self.manifest["vocab"][name]
                codes = [vocab.index(value) for value in condition["$in"] if value in vocab]
                mask &= np.isin(fields[:, column], codes)
        return mask


class IndexWriter:
    """One update of the index in ``folder``, under its lock (one writer at a time, in any process): drop rows,
    append rows, then ``commit``. Leaving without a commit leaves the index as it was."""

    def __init__(self, folder: Path, dim: int) -> None:
        from filelock import FileLock

        self.folder = folder
        self.dim = dim
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(folder / "write.lock")
        self.appended = 0
        self.dropped = 0

    def __enter__(self) -> "IndexWriter":
        import numpy as np

        self._lock.acquire()
        manifest = _read_manifest(self.folder)
        alive = None
        if manifest is not None and manifest["dim"] == self.dim:
            try:
                alive = np.load(self.folder / manifest["alive"], allow_pickle=False)
                self._cut(manifest)
            except (OSError, ValueError) as exc:
                log.info("search index %s is made again: %s", self.folder, exc)
                alive = None
        if alive is None or len(alive) != manifest["rows"]:
            self.reset()
        else:
            self.manifest, self.alive = manifest, alive
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()

    def reset(self) -> None:
        """Start again from no rows, in new files (readers of the old ones keep them)."""
        import numpy as np

        self.manifest = {"format": FORMAT, "key": "", "dim": self.dim, "rows": 0, "base": uuid.uuid4().hex[:12],
                         "id_width": 32, "alive": "", "missing": 0, "vocab": {name: [] for name in FILTER_FIELDS}}
        self.alive = np.zeros(0, dtype=bool)
        self.rebuilt = True

    rebuilt = False

    def count(self) -> int:
        return int(self.alive.sum())

    def live_ids(self, repo_id: str) -> dict[str, int]:
        """chunk id -> row, of the repository's live rows."""
        import numpy as np

        vocab = self.manifest["vocab"]["repo_id"]
        if repo_id not in vocab or not len(self.alive):
            return {}
        arrays = _map(self.folder, self.manifest)
        rows = np.flatnonzero(self.alive & (np.asarray(arrays["fields"][:, 0]) == vocab.index(repo_id)))
        return {chunk_id.decode(): int(row) for chunk_id, row in zip(arrays["ids"][rows], rows)}

    def counts_by_repo(self) -> dict[str, int]:
        return _counts_by_repo(_map(self.folder, self.manifest)["fields"], self.alive, self.manifest["vocab"]["repo_id"])

    def drop(self, rows: list[int]) -> None:
        self.alive[rows] = False
        self.dropped += len(rows)

    def append(self, ids: list[str], vectors, metadatas: list[dict]) -> None:
        import numpy as np

        if not ids:
            return
        width = max(len(chunk_id.encode()) for chunk_id in ids)
        if width > self.manifest["id_width"]:  # ids longer than the files hold: all rows again, wider
            self._rewrite(id_width=width)
        vectors = np.asarray(vectors, dtype="float32").reshape(len(ids), self.dim)
        peak = np.abs(vectors).max(axis=1)
        scale = np.where(peak > 0, peak / 127, 1).astype("float32")
        words = _sign_words(vectors)
        vocab = self.manifest["vocab"]
        codes = np.array([[self._code(vocab[name], (m or {}).get(name) or "") for name in FILTER_FIELDS]
                          for m in metadatas], dtype="int32")
        parts = {"i8": np.rint(vectors / scale[:, None]).astype("int8"), "scale": scale,
                 **{f"bits{n}": words[:, n] for n in range(words.shape[1])},
                 "fields": codes, "ids": np.array([chunk_id.encode() for chunk_id in ids],
                                                  dtype=f"S{self.manifest['id_width']}")}
        self._write(parts, self.manifest)
        self.manifest["rows"] += len(ids)
        self.alive = np.concatenate([self.alive, np.ones(len(ids), dtype=bool)])
        self.appended += len(ids)

    def commit(self, key: str, writes: dict[str, int], missing: dict[str, int], stores: dict | None = None,
               compact: bool = False) -> VectorIndex:
        """Make the update the index, for ``key``, the catalog's ``writes`` (Catalog.chunk_writes) and the
        repositories' vectors (``stores``, vectors.repo_stamps) it was made from, with the chunks per repository
        the store had no vector for: compacted first when over a quarter of its rows are dead, or any with ``compact``."""
        import numpy as np

        dead = len(self.alive) - int(self.alive.sum())
        if dead and (compact or dead * 4 > len(self.alive)):
            self._rewrite()
        _crash_point("before-manifest")
        manifest = dict(self.manifest, key=key, writes=writes, stores=stores or {}, missing_by_repo=missing,
                        missing=sum(missing.values()), alive=f"alive-{uuid.uuid4().hex[:12]}.npy",
                        last_update={"appended": self.appended, "dropped": self.dropped, "rebuilt": self.rebuilt})
        with open(self.folder / manifest["alive"], "wb") as out:
            np.save(out, self.alive)
        tmp = self.folder / f"manifest.{uuid.uuid4().hex[:12]}.tmp"
        tmp.write_text(json.dumps(manifest), encoding="utf-8")
        os.replace(tmp, self.folder / "manifest.json")  # readers see the old index or the new one, never a mix
        self.manifest = manifest
        self._clean()
        return VectorIndex(manifest, _map(self.folder, manifest), self.alive.copy(), self.folder)

    # -- files ------------------------------------------------------------------------------------

    @staticmethod
    def _code(vocab: list[str], value: str) -> int:
        try:
            return vocab.index(value)
        except ValueError:
            vocab.append(value)
            return len(vocab) - 1

    def _write(self, parts: dict, manifest: dict) -> None:
        for name, (file, dtype, _) in _files(manifest["base"], self.dim, manifest["id_width"]).items():
            with open(self.folder / file, "ab") as out:
                out.write(parts[name].astype(dtype, copy=False).tobytes())
            if name == "i8":
                _crash_point("appending")

    def _cut(self, manifest: dict) -> None:
        """Cut off rows past the manifest's count: a run killed while appending left them."""
        import numpy as np

        for file, dtype, shape in _files(manifest["base"], self.dim, manifest["id_width"]).values():
            path = self.folder / file
            size = manifest["rows"] * np.dtype(dtype).itemsize * int(np.prod(shape, dtype=int))
            if manifest["rows"] and path.stat().st_size < size:
                raise ValueError(f"{file} is shorter than its {manifest['rows']} rows")
            if path.exists() and path.stat().st_size > size:
                os.truncate(path, size)

    def _rewrite(self, id_width: int | None = None) -> None:
        """Copy the live rows into new files (compaction, or wider ids); the old files go at the commit."""
        import numpy as np

        old = _map(self.folder, self.manifest)
        rows = np.flatnonzero(self.alive)
        manifest = dict(self.manifest, base=uuid.uuid4().hex[:12], rows=0,
                        id_width=id_width or self.manifest["id_width"])
        for start in range(0, len(rows), _BLOCK):
            part = rows[start:start + _BLOCK]
            self._write({name: np.asarray(array[part]) for name, array in old.items()}, manifest)
        self.manifest = dict(manifest, rows=len(rows))
        self.alive = np.ones(len(rows), dtype=bool)
        self.rebuilt = True

    def _clean(self) -> None:
        """Remove the files the manifest no longer names. One still mapped by a reader may refuse (Windows):
        the next update tries again."""
        keep = {"manifest.json", "write.lock", self.manifest["alive"],
                *(file for file, _, _ in _files(self.manifest["base"], self.dim, self.manifest["id_width"]).values())}
        for path in self.folder.iterdir():
            if path.name not in keep:
                try:
                    path.unlink()
                except OSError:
                    pass
