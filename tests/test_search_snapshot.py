"""The search snapshot (engine/vector_snapshot.py) is read by processes while others write it: a damaged file is
made again rather than crashing a search, and two writers at once never write into one temporary file."""

from __future__ import annotations

import numpy as np

from pharos_desktop.engine.index.vector_snapshot import VectorSnapshot


def test_a_damaged_snapshot_is_not_used(tmp_path):
    path = tmp_path / "snapshot.npz"
    VectorSnapshot.write(path, "key", ["a", "b"], np.ones((2, 4)), [{}, {}])
    whole = path.read_bytes()
    for damaged in (whole[:len(whole) // 2], whole[:-30], b"PK\x03\x04", b""):
        path.write_bytes(damaged)
        assert VectorSnapshot.load(path, "key") is None


def test_a_writer_leaves_another_writers_temporary_file_alone(tmp_path):
    path = tmp_path / "snapshot.npz"
    # another process (an ingest finishing) is half way through writing its copy under the name a writer once used
    others = [tmp_path / "snapshot.npz.tmp.npz", tmp_path / "snapshot.npz.tmp"]
    for other in others:
        other.write_bytes(b"half of another writer's snapshot")
    written = VectorSnapshot.write(path, "key", ["a"], np.ones((1, 4)), [{"repo_id": "r"}])
    assert VectorSnapshot.load(path, "key").count() == written.count() == 1
    assert all(other.read_bytes() == b"half of another writer's snapshot" for other in others)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["snapshot.npz", *(o.name for o in others)])
