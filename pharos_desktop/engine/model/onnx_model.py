"""The embedding model as an int8 ONNX graph, run by onnxruntime with the model's own tokenizer.

On a CPU this is about twice as fast as torch fp32 (bench/bench_ingest.py --runtime), and running it
imports neither torch nor transformers, so it loads in a fraction of a second: the command line's
search uses it for queries.

The graph is made once, offline, from the local sentence-transformers folder (the bundled weights):
torch traces the whole model (transformer, pooling, normalisation) to ONNX, and onnxruntime
quantizes its matrix products to int8. The result is cached under the data folder's ``models/``,
keyed by the source weights, or shipped in a bundle (``pharos_onnx/`` next to the bundled model).
Nothing is ever downloaded. The same caching serves the OpenVINO graph (openvino_model.py), made
from the same trace.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError

log = logging.getLogger(__name__)

RUNTIME = "onnx-int8"
_INFO = "pharos_onnx.json"


@dataclass(frozen=True)
class GraphKind:
    """One runtime's graph: the file it loads, where a bundle ships it, and its cache folder's name part."""

    runtime: str
    graph: str
    bundle_folder: str
    cache_infix: str  # empty for ONNX, so caches made before OpenVINO existed stay valid


KINDS = {kind.runtime: kind for kind in (GraphKind(RUNTIME, "model-int8.onnx", "pharos_onnx", ""),
                                         GraphKind("openvino-int8", "model-int8.xml", "pharos_openvino", "openvino-"))}
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Attention holds batch x heads x length^2 scores: 64 texts of 256 word pieces peak near 2 GB. A CPU runs as
# fast with a few thousand tokens a batch, so long texts go in smaller batches (peak ~0.6 GB, same speed).
TOKENS_PER_BATCH = 4096
# Bumped when the export changes, so caches made by an older version are made again.
_EXPORT_VERSION = 3
_export_lock = threading.Lock()


def can_export(model_folder: str | Path) -> bool:
    """A local sentence-transformers folder with a fast tokenizer: what the export needs."""
    folder = Path(model_folder)
    return (folder / "modules.json").is_file() and (folder / "tokenizer.json").is_file()


def _fingerprint(model_folder: Path) -> str:
    """Which weights a graph was made from: their files' names and sizes, plus the export version."""
    digest = hashlib.sha1(f"v{_EXPORT_VERSION}".encode())
    for path in sorted(model_folder.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".safetensors", ".bin", ".txt"):
            digest.update(f"{path.relative_to(model_folder)}:{path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def bundled_graph(model_folder: Path, runtime: str = RUNTIME) -> Path | None:
    """A graph shipped in a PyInstaller bundle (build.spec makes it at build time)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    candidate = Path(frozen_root) / KINDS[runtime].bundle_folder if frozen_root else None
    if candidate is not None and _valid(candidate, _fingerprint(model_folder), runtime):
        return candidate
    return None


def _valid(folder: Path, fingerprint: str, runtime: str) -> bool:
    try:
        info = json.loads((folder / _INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return info.get("fingerprint") == fingerprint and info.get("runtime") == runtime and (
        folder / KINDS[runtime].graph).is_file() and (folder / "tokenizer.json").is_file()


def _cache_folder(model_folder: Path, cache_root: Path, runtime: str) -> Path:
    return cache_root / f"{model_folder.name}-{KINDS[runtime].cache_infix}{_fingerprint(model_folder)}"


def cached_graph(model_folder: str | Path, cache_root: Path, runtime: str = RUNTIME) -> Path | None:
    """The folder holding a ready graph for these weights (bundled or cached), without making one."""
    model_folder = Path(model_folder)
    bundled = bundled_graph(model_folder, runtime)
    if bundled is not None:
        return bundled
    folder = _cache_folder(model_folder, cache_root, runtime)
    return folder if _valid(folder, _fingerprint(model_folder), runtime) else None


def ensure_graph(model_folder: str | Path, cache_root: Path, runtime: str = RUNTIME) -> Path:
    """The graph's folder, exporting it first if no bundle or cache has it (needs torch, once: ~10 s for
    ONNX, ~1 min for OpenVINO, which calibrates)."""
    model_folder = Path(model_folder)
    with _export_lock:
        ready = cached_graph(model_folder, cache_root, runtime)
        if ready is not None:
            return ready
        target = _cache_folder(model_folder, cache_root, runtime)
        export(model_folder, target, runtime)
        _remove_older(cache_root, model_folder, runtime, keep=target)
        return target


def _remove_older(cache_root: Path, model_folder: Path, runtime: str, keep: Path) -> None:
    """Graphs made earlier from the same folder for the same runtime (other weights, an older export) are
    never used again."""
    for folder in cache_root.glob(f"{model_folder.name}-*"):
        try:
            info = json.loads((folder / _INFO).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if folder != keep and info.get("source") == str(model_folder) and info.get("runtime", RUNTIME) == runtime:
            shutil.rmtree(folder, ignore_errors=True)


def export(model_folder: Path, target: Path, runtime: str = RUNTIME) -> None:
    """Make ``runtime``'s graph of the sentence-transformers model in ``model_folder``, in ``target``.

    Written to a temporary folder and renamed into place, so a killed export never leaves a half
    graph that a later run would trust.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        if runtime == RUNTIME:
            _export_into(model_folder, work)
        else:
            from .openvino_model import export_into

            export_into(model_folder, work)
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


def trace(model_folder: Path, path: Path, eager_attention: bool = False) -> dict:
    """The whole sentence-transformers pipeline (transformer, pooling, normalize) as one fp32 ONNX graph at
    ``path``; returns the info a graph folder records (max_tokens, dim). Eager attention traces to the
    plain matrix products that OpenVINO fuses; the default traces to what onnxruntime's own optimiser fuses."""
    import torch
    from sentence_transformers import SentenceTransformer

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    model = SentenceTransformer(str(model_folder), device="cpu", local_files_only=True,
                                model_kwargs={"attn_implementation": "eager"} if eager_attention else None)

    class Traced(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.model(features)["sentence_embedding"]

    tokenize = getattr(model, "preprocess", None) or model.tokenize  # renamed in sentence-transformers 6
    sample = tokenize(["def example(value):", "a longer sample sentence, so the batch needs padding"])
    axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shape checks that hold for every input we feed
        torch.onnx.export(Traced().eval(), tuple(sample[name] for name in _INPUTS), str(path),
                          input_names=list(_INPUTS), output_names=["embedding"],
                          dynamic_axes={**axes, "embedding": {0: "batch"}}, opset_version=17, dynamo=False)
    dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return {"max_tokens": int(model.max_seq_length or 256), "dim": int(dimension())}


def finish(model_folder: Path, work: Path, traced: dict, runtime: str) -> None:
    """What every graph folder holds besides the graph: the tokenizer and the record that validates it."""
    shutil.copyfile(model_folder / "tokenizer.json", work / "tokenizer.json")
    info = {"fingerprint": _fingerprint(model_folder), "source": str(model_folder), **traced, "runtime": runtime}
    (work / _INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")


def _export_into(model_folder: Path, work: Path) -> None:
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = work / "model-fp32.onnx"
    traced = trace(model_folder, fp32)
    # Weights int8, one scale per output channel; activations quantized per batch at run time. One scale per
    # tensor is no faster and drifts much further from fp32 (cosine 0.94 against 0.994 on code chunks).
    quiet = _DropLogs()
    logging.getLogger().addFilter(quiet)  # the quantizer's advice to pre-process, logged on the root logger
    try:
        quantize_dynamic(str(fp32), str(work / "model-int8-raw.onnx"), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.getLogger().removeFilter(quiet)
    # Fuse the graph now (attention, layer norm, GELU: the same on every CPU), so each process that loads it
    # (a search from the command line) skips that work: about a third of the load time.
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(work / KINDS[RUNTIME].graph)
    onnxruntime.InferenceSession(str(work / "model-int8-raw.onnx"), options, providers=["CPUExecutionProvider"])
    fp32.unlink()
    (work / "model-int8-raw.onnx").unlink()
    finish(model_folder, work, traced, RUNTIME)


class _DropLogs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


class OnnxModel:
    """Encodes like SentenceTransformer.encode(normalize_embeddings=True), without torch."""

    runtime = RUNTIME

    def __init__(self, folder: Path, threads: int = 0) -> None:
        from tokenizers import Tokenizer

        info = json.loads((folder / _INFO).read_text(encoding="utf-8"))
        self.dim = int(info["dim"])
        self.max_seq_length = int(info["max_tokens"])
        try:
            self._load(folder / KINDS[self.runtime].graph, threads)
            self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # a damaged cache: say where, so the user can delete it
            raise ModelError(f"cannot load the {self.runtime} model in {folder}: {exc}; delete that folder to make "
                             "it again") from exc
        self._tokenizer.no_padding()  # batches are padded here, to their own longest text
        self._pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        self.set_max_tokens(self.max_seq_length)

    def _load(self, graph: Path, threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: one per core
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])

    def _run(self, feed: dict):
        return self._session.run(None, feed)[0]

    def set_max_tokens(self, max_tokens: int) -> None:
        self.max_seq_length = max_tokens
        self._tokenizer.enable_truncation(max_tokens)

    def encode(self, texts: list[str], batch_size: int):
        """L2-normalised float32 vectors, in batches of similar length and at most TOKENS_PER_BATCH tokens."""
        import numpy as np

        tokens = [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]
        order = sorted(range(len(texts)), key=lambda n: len(tokens[n]))
        vectors = np.zeros((len(texts), self.dim), dtype="float32")
        start = 0
        while start < len(order):
            longest = len(tokens[order[min(start + batch_size, len(order)) - 1]])
            batch = order[start:start + max(1, min(batch_size, TOKENS_PER_BATCH // max(1, longest)))]
            width = len(tokens[batch[-1]])
            ids = np.full((len(batch), width), self._pad_id, dtype="int64")
            mask = np.zeros((len(batch), width), dtype="int64")
            for row, n in enumerate(batch):
                ids[row, :len(tokens[n])] = tokens[n]
                mask[row, :len(tokens[n])] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            vectors[batch] = self._run(feed)
            start += len(batch)
        return vectors
