"""The int8 graphs' folders: which runtimes have one, where a bundle ships it and the cache keeps it, how a
folder proves it was made from these weights, and the trace both exports start from.

A graph is made once, offline, from the local sentence-transformers folder (the bundled weights) and cached
under the data folder's ``models/``, keyed by the source weights, or shipped in a bundle (``pharos_onnx/``
and ``pharos_openvino/`` next to the bundled model). Nothing is ever downloaded. Making one is export.py's
job; running one is onnx_model.py's and openvino_model.py's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

ONNX = "onnx-int8"
OPENVINO = "openvino-int8"
INFO = "pharos_onnx.json"  # the record in every graph folder (the ONNX name predates OpenVINO)


@dataclass(frozen=True)
class GraphKind:
    """One runtime's graph: the file it loads, where a bundle ships it, and its cache folder's name part."""

    runtime: str
    graph: str
    bundle_folder: str
    cache_infix: str  # empty for ONNX, so caches made before OpenVINO existed stay valid


KINDS = {kind.runtime: kind for kind in (GraphKind(ONNX, "model-int8.onnx", "pharos_onnx", ""),
                                         GraphKind(OPENVINO, "model-int8.xml", "pharos_openvino", "openvino-"))}
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Bumped when the export changes, so caches made by an older version are made again.
_EXPORT_VERSION = 3


def can_export(model_folder: str | Path) -> bool:
    """A local sentence-transformers folder with a fast tokenizer: what the export needs."""
    folder = Path(model_folder)
    return (folder / "modules.json").is_file() and (folder / "tokenizer.json").is_file()


def fingerprint(model_folder: Path) -> str:
    """Which weights a graph was made from: their files' names and sizes, plus the export version."""
    digest = hashlib.sha1(f"v{_EXPORT_VERSION}".encode())
    for path in sorted(model_folder.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".safetensors", ".bin", ".txt"):
            digest.update(f"{path.relative_to(model_folder)}:{path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def bundled_graph(model_folder: Path, runtime: str = ONNX) -> Path | None:
    """A graph shipped in a PyInstaller bundle (build.spec makes it at build time)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    candidate = Path(frozen_root) / KINDS[runtime].bundle_folder if frozen_root else None
    if candidate is not None and _valid(candidate, fingerprint(model_folder), runtime):
        return candidate
    return None


def _valid(folder: Path, fingerprint: str, runtime: str) -> bool:
    try:
        info = json.loads((folder / INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return info.get("fingerprint") == fingerprint and info.get("runtime") == runtime and (
        folder / KINDS[runtime].graph).is_file() and (folder / "tokenizer.json").is_file()


def cache_folder(model_folder: Path, cache_root: Path, runtime: str) -> Path:
    return cache_root / f"{model_folder.name}-{KINDS[runtime].cache_infix}{fingerprint(model_folder)}"


def cached_graph(model_folder: str | Path, cache_root: Path, runtime: str = ONNX) -> Path | None:
    """The folder holding a ready graph for these weights (bundled or cached), without making one."""
    model_folder = Path(model_folder)
    bundled = bundled_graph(model_folder, runtime)
    if bundled is not None:
        return bundled
    folder = cache_folder(model_folder, cache_root, runtime)
    return folder if _valid(folder, fingerprint(model_folder), runtime) else None


def remove_older(cache_root: Path, model_folder: Path, runtime: str, keep: Path) -> None:
    """Graphs made earlier from the same folder for the same runtime (other weights, an older export) are
    never used again."""
    for folder in cache_root.glob(f"{model_folder.name}-*"):
        try:
            info = json.loads((folder / INFO).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if folder != keep and info.get("source") == str(model_folder) and info.get("runtime", ONNX) == runtime:
            shutil.rmtree(folder, ignore_errors=True)


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
    info = {"fingerprint": fingerprint(model_folder), "source": str(model_folder), **traced, "runtime": runtime}
    (work / INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")
