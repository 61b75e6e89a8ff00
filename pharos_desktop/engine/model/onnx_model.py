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
WIDTH_STEP = 32  # batches are padded to a multiple of this many tokens (see batch_shapes)
# OpenVINO's CPU plugin (2026.4) encodes a batch exactly 32 tokens wide wrongly: cosine 0.93-0.99 to the same
# texts at any other width, measured on code chunks; 16, 48 and every other multiple of 16 agree to 0.999.
MIN_WIDTH = 48


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
    # Whether batches are padded to few shapes (batch_shapes). ONNX Runtime keeps nothing per shape once its memory
    # patterns are off (_load), so its batches are as wide as their longest text: padding cost it 3 to 4% of its
    # time (bench_ingest, docs/benchmarks.md), and its int8 vectors are the ones made before shapes were few.
    few_shapes = False

    def __init__(self, folder: Path, threads: int = 0, single_texts: bool = False) -> None:
        """``single_texts``: for one short text at a time (a search's query), loaded the quickest way: on one
        thread, its weights not repacked for large batches (with both, a fresh process makes the session in
        ~50 ms of CPU instead of ~90, and embeds a query as fast; the vectors are the same)."""
        from tokenizers import Tokenizer

        self._single_texts = single_texts

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
        options.intra_op_num_threads = 1 if self._single_texts else threads  # 0: one per core
        options.log_severity_level = 3
        # A memory pattern is planned and kept for every input shape met: fed texts of every width, the session
        # grew from 468 to 522 MB over 350 shapes; without them it stayed at 405 MB, and ran no slower.
        options.enable_mem_pattern = False
        if self._single_texts:
            options.add_session_config_entry("session.disable_prepacking", "1")
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])

    def _run(self, feed: dict):
        return self._session.run(None, feed)[0]

    def set_max_tokens(self, max_tokens: int) -> None:
        self.max_seq_length = max_tokens
        self._tokenizer.enable_truncation(max_tokens)

    def encode(self, texts: list[str], batch_size: int):
        """L2-normalised float32 vectors, in batches of similar length (``batch_shapes``)."""
        import numpy as np

        tokens = [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]
        order = sorted(range(len(texts)), key=lambda n: len(tokens[n]))
        vectors = np.zeros((len(texts), self.dim), dtype="float32")
        start = 0
        for rows, width in batch_shapes([len(tokens[n]) for n in order], batch_size, self.max_seq_length,
                                        few=self.few_shapes):
            batch = order[start:start + rows]
            ids = np.full((rows, width), self._pad_id, dtype="int64")
            mask = np.zeros((rows, width), dtype="int64")
            for row, n in enumerate(batch):
                ids[row, :len(tokens[n])] = tokens[n]
                mask[row, :len(tokens[n])] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            vectors[batch] = self._run(feed)
            start += rows
        return vectors


def batch_shapes(lengths: list[int], batch_size: int, max_tokens: int, few: bool = True) -> list[tuple[int, int]]:
    """(rows, width) of each batch that encodes texts of these token ``lengths`` (sorted, shortest first): at most
    ``batch_size`` rows and TOKENS_PER_BATCH tokens in all (one longer text has a batch of its own).

    ``few=False``: a batch takes as many texts as fit and is as wide as its longest. ``few``: the shapes are few. A
    runtime that keeps what it made for each input shape it meets (OpenVINO's CPU plugin about 8 MB a shape, for
    good) grew by gigabytes when fed every width and row count its texts happened to have (200 shapes, 1.8 GB,
    after 10,000 chunks). So a batch is as wide as its longest text rounded up to WIDTH_STEP tokens (at least
    MIN_WIDTH), and its rows are a power of two; a remainder goes in smaller powers of two (padding it with empty
    rows would cost more). At most 8 widths x 7 row counts for 256 tokens and batches of 64; real code meets 10-20
    of them. Pads have attention mask 0, so they leave a text's vector as it was.
    """
    width = _width if few else (lambda longest, _max_tokens: max(1, longest))
    rows_of = _power_of_two_at_most if few else (lambda n: max(1, n))
    shapes, start = [], 0
    while start < len(lengths):
        window = lengths[start:start + batch_size]
        rows = rows_of(min(len(window), TOKENS_PER_BATCH // width(window[-1], max_tokens)))
        shapes.append((rows, width(lengths[start + rows - 1], max_tokens)))
        start += rows
    return shapes


def _width(longest: int, max_tokens: int) -> int:
    return min(max_tokens, max(MIN_WIDTH, -(-longest // WIDTH_STEP) * WIDTH_STEP))


def _power_of_two_at_most(n: int) -> int:
    return 1 << (max(1, n).bit_length() - 1)
