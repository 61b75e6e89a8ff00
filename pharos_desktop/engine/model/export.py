"""Making a runtime's graph folder, once: the one place that knows which module exports which runtime.

Above graphs.py (the folders) and the two runtimes' modules (how each makes its graph), so that neither
runtime module needs the other's export. Needs torch, once: ~10 s for ONNX, ~1 min for OpenVINO, which
calibrates.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import ModelError
from . import onnx_model, openvino_model
from .graphs import ONNX, cache_folder, cached_graph, remove_older

log = logging.getLogger(__name__)

_export_lock = threading.Lock()
# Held by whichever process is making a graph in the cache folder: a second one waits, then finds it made, and
# the clean-up (removal.py) leaves unfinished exports alone while it is held.
EXPORT_LOCK = ".export.lock"
_EXPORTERS = {onnx_model.RUNTIME: onnx_model.export_into, openvino_model.RUNTIME: openvino_model.export_into}


def ensure_graph(model_folder: str | Path, cache_root: Path, runtime: str = ONNX) -> Path:
    """The graph's folder, exporting it first if no bundle or cache has it."""
    model_folder = Path(model_folder)
    ready = cached_graph(model_folder, cache_root, runtime)
    if ready is not None:  # the bundle's or the cache's: no lock, and no cache folder made for nothing
        return ready
    cache_root.mkdir(parents=True, exist_ok=True)
    with _export_lock, FileLock(cache_root / EXPORT_LOCK):
        ready = cached_graph(model_folder, cache_root, runtime)
        if ready is not None:
            return ready
        target = cache_folder(model_folder, cache_root, runtime)
        export(model_folder, target, runtime)
        remove_older(cache_root, model_folder, runtime, keep=target)
        return target


def export(model_folder: Path, target: Path, runtime: str = ONNX) -> None:
    """Make ``runtime``'s graph of the sentence-transformers model in ``model_folder``, in ``target``.

    Written to a temporary folder and renamed into place, so a killed export never leaves a half
    graph that a later run would trust.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        _EXPORTERS[runtime](model_folder, work)
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    except ModelError:
        raise
    except Exception as exc:
        log.exception("%s export failed", runtime)
        raise ModelError(f"cannot make the {runtime} model from {model_folder}: {exc}; set the runtime to "
                         "torch") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("exported %s to %s", model_folder, target)


def make_in_background(model_folder: str | Path, cache_root: Path, runtime: str) -> bool:
    """Start making the graph in a process of its own, below normal priority, which outlives this one (a
    command that ends before the graph is made must not leave it half made). Nothing starts while another
    process holds the export lock: that one is making it. True when one was started."""
    cache_root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(cache_root / EXPORT_LOCK)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    lock.release()  # the child takes it; a second start meanwhile makes a child that waits, then finds it made
    if getattr(sys, "frozen", False):
        return False  # a bundle ships its graphs (graphs.bundled_graph)
    log.info("making the %s graph of %s in the background", runtime, model_folder)
    subprocess.Popen([sys.executable, "-m", __name__, str(model_folder), str(cache_root), runtime],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    return True


if __name__ == "__main__":  # make_in_background's process
    if hasattr(os, "nice"):
        os.nice(10)
    ensure_graph(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
