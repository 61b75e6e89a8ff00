"""The embedding model as an int8 ONNX graph, run by onnxruntime with the model's own tokenizer.

On a CPU this is about twice as fast as torch fp32 (bench/bench_ingest.py --runtime), and running it
imports neither torch nor transformers, so it loads in a fraction of a second: the command line's
search uses it for queries.

The graph is made once, offline (export.py), from the local sentence-transformers folder (the bundled
weights): torch traces the whole model (transformer, pooling, normalisation) to ONNX (graphs.trace), and
onnxruntime quantizes its matrix products to int8. Where it is kept is graphs.py's business.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..errors import ModelError
from .graphs import INFO, KINDS, ONNX, finish, trace

RUNTIME = ONNX
# Attention holds batch x heads x length^2 scores: 64 texts of 256 word pieces peak near 2 GB. A CPU runs as
# fast with a few thousand tokens a batch, so long texts go in smaller batches (peak ~0.6 GB, same speed).
TOKENS_PER_BATCH = 4096


def export_into(model_folder: Path, work: Path) -> None:
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

        info = json.loads((folder / INFO).read_text(encoding="utf-8"))
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
