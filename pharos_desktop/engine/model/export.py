"""Making a runtime's graph folder, once: the one place that knows which module exports which runtime.

Above graphs.py (the folders) and the two runtimes' modules (how each makes its graph), so that neither
runtime module needs the other's export. Needs torch, once: ~10 s for ONNX, ~1 min for OpenVINO, which
calibrates.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from ..errors import ModelError
from . import onnx_model, openvino_model
from .graphs import ONNX, cache_folder, cached_graph, remove_older

log = logging.getLogger(__name__)

_export_lock = threading.Lock()
_EXPORTERS = {onnx_model.RUNTIME: onnx_model.export_into, openvino_model.RUNTIME: openvino_model.export_into}


def ensure_graph(model_folder: str | Path, cache_root: Path, runtime: str = ONNX) -> Path:
    """The graph's folder, exporting it first if no bundle or cache has it."""
    model_folder = Path(model_folder)
    with _export_lock:
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
