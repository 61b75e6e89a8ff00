"""The embedding model as an int8 OpenVINO graph: on a CPU with int8 dot-product instructions (VNNI) the fastest
runtime measured, about 1.9 times the int8 ONNX graph's throughput, its held-out search quality within 0.01 of
torch's (bench/bench_ingest.py). Without them ONNX Runtime's int8 kernels were the faster (``int8_dot_product``).

Made once, offline (export.py), like the ONNX graph (graphs.py caches and validates both): torch traces the
model to ONNX, and NNCF quantizes weights and activations to int8 with scales calibrated on code chunks
cut from this package's own source files, so nothing is downloaded and the benchmark's repositories
are never seen. Running it needs only the ``openvino`` package and the model's ``tokenizers``; NNCF
and torch are needed for the export alone (a bundle ships the graph made at build time).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import platform
import random
import sys
from pathlib import Path

from . import graphs
from .onnx_model import OnnxModel

RUNTIME = graphs.OPENVINO
# Chunks the activation scales are calibrated on (about 45 s of CPU, once); a round number, not tuned.
CALIBRATION_CHUNKS = 300
_CHUNK_CHARS = 896  # what the pipeline feeds the model at most (256 word pieces of code)


def can_run() -> bool:
    return importlib.util.find_spec("openvino") is not None


def can_export() -> bool:
    return can_run() and importlib.util.find_spec("nncf") is not None


# x86's int8 dot-product instructions, as Linux names them: AVX-512 VNNI, AVX-VNNI (without AVX-512) and AMX.
_VNNI_FLAGS = {"avx512_vnni", "avx_vnni", "amx_int8"}


def vnni_in(cpuinfo: str) -> bool | None:
    """Whether Linux's /proc/cpuinfo text names an int8 dot-product instruction; None when it lists no flags."""
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines()
                  if line.startswith("flags") and ":" in line), None)
    return None if flags is None else bool(_VNNI_FLAGS & set(flags))


@functools.cache  # the CPU does not change, and /proc/cpuinfo is long on a machine of many cores
def int8_dot_product() -> bool:
    """Whether this CPU has int8 dot-product instructions, which OpenVINO's int8 kernels are fast with. Measured
    (docs/benchmarks.md): with AVX-512 VNNI, OpenVINO's int8 graph embedded 1.9 times as fast as ONNX's; on an
    AVX2-only EPYC, ONNX's was 1.3 times as fast as OpenVINO's. True where it cannot tell (a CPU other than x86,
    or no way to ask): OpenVINO stays the choice where the two were never compared."""
    if platform.machine().lower() not in ("x86_64", "amd64", "x86", "i686"):
        return True
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
                found = vnni_in(cpuinfo.read())
        except OSError:
            found = None
        if found is not None:
            return found
    try:  # elsewhere numpy's own detection, which knows AVX-512 VNNI (not AVX-VNNI)
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:
        return True
    return bool(__cpu_features__.get("AVX512VNNI"))


def calibration_texts(source_root: Path | None = None, limit: int = CALIBRATION_CHUNKS) -> list[str]:
    """Chunk-like texts from this package's own code: a header naming the file, then the code, as the
    pipeline embeds them. Local, always present where the export can run, and unrelated to any benchmark."""
    root = source_root or Path(__file__).resolve().parents[1]
    texts = []
    for path in sorted(root.rglob("*.py")):
        code = path.read_text(encoding="utf-8", errors="replace")
        for start in range(0, len(code), _CHUNK_CHARS * 3 // 4):
            first_line = code.count("\n", 0, start) + 1
            texts.append(f"({path.stem.strip('_')})\n[python] code of {path.relative_to(root.parent).as_posix()} "
                         f"(from line {first_line})\n\n{code[start:start + _CHUNK_CHARS]}")
    random.Random(0).shuffle(texts)  # every part of the code base, not the first files only
    return texts[:limit]


def import_openvino():
    """openvino with its usage telemetry off. ``import openvino`` sets up a reporter to Google Analytics (for
    its model converter) that sends from a process forked off a thread: Pharos never reports on its users,
    and such a child can hang for good on a lock the fork copied. The reporter's one switch read at import
    is the CI variable, set here for the import only."""
    before = os.environ.get("CI")
    os.environ["CI"] = "true"
    try:
        import openvino
    finally:
        if before is None:
            os.environ.pop("CI", None)
        else:
            os.environ["CI"] = before
    return openvino


def import_nncf():
    """NNCF with its usage telemetry off too (its switch: NNCF_CI, read at its first import)."""
    import_openvino()
    os.environ["NNCF_CI"] = "1"
    import nncf

    return nncf


def export_into(model_folder: Path, work: Path) -> None:
    import numpy as np
    import rich
    from tokenizers import Tokenizer

    fp32 = work / "model-fp32.onnx"
    traced = graphs.trace(model_folder, fp32, eager_attention=True)
    tokenizer = Tokenizer.from_file(str(model_folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(traced["max_tokens"])
    texts = calibration_texts()
    if not texts:
        raise RuntimeError("no source files to calibrate on")
    samples = []
    for encoding in tokenizer.encode_batch(texts):
        ids = np.asarray([encoding.ids], dtype="int64")
        samples.append({"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)})
    nncf, openvino = import_nncf(), import_openvino()
    logging.getLogger("nncf").setLevel(logging.WARNING)
    # NNCF draws progress bars on rich's shared console, on stdout, where `ingest --json` writes its answer.
    rich.reconfigure(quiet=True)
    # TRANSFORMER keeps what int8 would hurt (softmax, layer norm, GELU) in floating point.
    quantized = nncf.quantize(openvino.Core().read_model(str(fp32)), nncf.Dataset(samples),
                              model_type=nncf.ModelType.TRANSFORMER, subset_size=len(samples))
    openvino.save_model(quantized, str(work / graphs.KINDS[RUNTIME].graph))
    fp32.unlink()
    graphs.finish(model_folder, work, traced, RUNTIME)


class OpenVinoModel(OnnxModel):
    """Encodes like OnnxModel (same tokenizer and batching), on OpenVINO's CPU plugin, in few shapes: it keeps
    kernels and buffers for every shape it meets (onnx_model.batch_shapes)."""

    runtime = RUNTIME
    few_shapes = True

    def __init__(self, folder: Path, threads: int = 0, compiled_cache: Path | None = None) -> None:
        self._compiled_cache = compiled_cache
        super().__init__(folder, threads)

    def _load(self, graph: Path, threads: int) -> None:
        core = import_openvino().Core()
        if self._compiled_cache is not None:
            # The graph compiled for this CPU, kept: a later load (a search from the command line) takes
            # ~0.1 s instead of ~1 s.
            core.set_property({"CACHE_DIR": str(self._compiled_cache)})
        config = {"PERFORMANCE_HINT": "LATENCY"}  # one batch at a time, on every core it may use
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        compiled = core.compile_model(str(graph), "CPU", config)
        self._inputs = [port.get_any_name() for port in compiled.inputs]
        self._request = compiled.create_infer_request()

    def _run(self, feed: dict):
        return self._request.infer({name: feed[name] for name in self._inputs})[0].copy()
