"""A read-only copy of one model's vectors for quick searches from a fresh process.

Importing chromadb alone takes longer than the command line's whole search budget (about a second),
so ``pharos-desktop search`` reads this file instead: the vectors of every chunk the catalog holds,
float16, with the fields that search filters on. An exact nearest-neighbour scan of 20,000 of them
takes milliseconds. The copy is made from Chroma after an ingest (and whenever a search finds it out
of date), and it is trusted only while the catalog's chunks are exactly those it was made from and the
vector store is the one it was made from (a store deleted or replaced since must not go on answering
from here). It also records how many of the catalog's chunks the store had no vector for: search
says so. Chroma stays the store that ingest writes and sync reads.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
import zipfile
from pathlib import Path

log = logging.getLogger(__name__)

_FILTER_FIELDS = ("repo_id", "language", "kind")


def snapshot_key(catalog_state: tuple, store_stamp: str, model: str, dim: int) -> str:
    """Identifies the catalog's chunks (count, rowid sum and max), the vector store (vectors.store_stamp)
    and the model: any write to the catalog, or another store, changes it."""
    return hashlib.sha1(repr((catalog_state, store_stamp, model, dim)).encode()).hexdigest()


class VectorSnapshot:
    """Answers ``query`` like VectorCollection.query (cosine similarity, best first), from memory."""

    def __init__(self, key: str, ids, vectors, fields: dict, missing: int) -> None:
        self.key = key
        self._ids, self._stored, self._fields = ids, vectors, fields  # vectors as the file has them: float16
        self._vectors = None  # float32, made at the first query: an ingest that only writes the file never needs it
        self.missing = missing  # chunks of the catalog, made by this model, that the store had no vector for

    @classmethod
    def load(cls, path: Path, key: str) -> "VectorSnapshot | None":
        """The snapshot at ``path`` if it was made for ``key``, else None (missing, stale or damaged)."""
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["key"]) != key:
                    return None
                return cls(key, data["ids"], data["vectors"],
                           {name: data[name] for name in _FILTER_FIELDS}, int(data["missing"]))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # damaged: made again
            log.info("search snapshot %s not usable: %s", path, exc)
            return None

    @classmethod
    def write(cls, path: Path, key: str, ids: list[str], vectors, metadatas: list[dict],
              missing: int = 0) -> "VectorSnapshot":
        """Save the snapshot and return it, as ``load`` would read it back."""
        import numpy as np

        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own: another process (an ingest finishing, a search finding the copy stale) may be writing
        # the same snapshot now, and two writers of one temporary file would leave a mix of both.
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:12]}.tmp.npz")
        fields = {name: np.array([m.get(name) or "" for m in metadatas], dtype=str) for name in _FILTER_FIELDS}
        ids_array = np.array(ids, dtype=str)
        stored = np.asarray(vectors, dtype="float16")
        if stored.ndim != 2:  # a list of vectors; an empty array comes shaped (0, dim)
            stored = stored.reshape(len(ids), -1)
        try:
            np.savez(tmp, key=np.array(key), ids=ids_array, vectors=stored, missing=np.array(missing), **fields)
            os.replace(tmp, path)  # readers see the old file or the new one, never half of one
        finally:
            tmp.unlink(missing_ok=True)
        return cls(key, ids_array, stored, fields, missing)

    def count(self) -> int:
        return len(self._ids)

    def query(self, embedding, limit: int, where: dict | None = None) -> list[tuple[str, float]]:
        import numpy as np

        if not len(self._ids):
            return []
        if self._vectors is None:
            self._vectors = self._stored.astype("float32")  # a float16 product is slow and would copy every time
            self._stored = None
        scores = self._vectors @ np.asarray(embedding, dtype="float32")
        mask = self._mask(where)
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        limit = min(limit, int(mask.sum()) if mask is not None else len(scores))
        if limit <= 0:
            return []
        best = np.argpartition(-scores, limit - 1)[:limit]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(str(self._ids[n]), float(scores[n])) for n in best]

    def _mask(self, where: dict | None):
        """Chroma's ``where`` as search.py builds it: {field: {"$in": [...]}} or {"$and": [those]}."""
        import numpy as np

        if not where:
            return None
        clauses = where.get("$and", [where])
        mask = np.ones(len(self._ids), dtype=bool)
        for clause in clauses:
            for name, condition in clause.items():
                mask &= np.isin(self._fields[name], list(condition["$in"]))
        return mask
