"""One typed settings object, read from ``settings.json`` under the data folder, with environment overrides.

The data folder is ``PHAROS_HOME`` when set, else the platform's user data folder. Everything the
app keeps (settings, catalog, vectors, clones, logs) lives under it, so two data folders never see
each other. Secrets are not settings: they go through ``secrets.py`` (the OS keyring) only.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from .errors import ConfigError

DEFAULT_API_URL = "https://pharos-cloud-api.onrender.com"
DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEVICES = ("auto", "cpu", "cuda", "mps")
# auto: torch on a GPU, an int8 graph on a CPU (OpenVINO where installed, else ONNX; engine/model/embedder.py);
# or one of them always.
RUNTIMES = ("auto", "torch", "onnx-int8", "openvino-int8")

# Environment variable -> settings field. Values from the environment win over the file.
ENV_OVERRIDES = {
    "PHAROS_API_URL": "api_url",
    "PHAROS_MODEL": "model",
    "PHAROS_DEVICE": "device",
    "PHAROS_RUNTIME": "runtime",
    "PHAROS_MAX_CORES": "max_cores",
    "PHAROS_CHROMA_URL": "chroma_url",
    "PHAROS_BATCH_SIZE": "batch_size",
    "PHAROS_MAX_FILE_BYTES": "max_file_bytes",
    "PHAROS_QUEUE_URL": "queue_url",
    "PHAROS_GIT_TOKEN_HOSTS": "git_token_hosts",
    "PHAROS_GIT_TIMEOUT": "git_timeout",
    "PHAROS_TRUSTED_GIT_HOSTS": "trusted_git_hosts",
    "PHAROS_DISK_CAP_MB": "disk_cap_mb",
}


def data_folder() -> Path:
    """The data folder (created if missing): PHAROS_HOME when set, else the platform's user data folder."""
    home = os.environ.get("PHAROS_HOME")
    path = Path(home).expanduser() if home else Path(platformdirs.user_data_dir("PharosDesktop", "Pharos"))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "it is a file, not a folder" if path.is_file() else exc.strerror
        raise ConfigError(_unusable(path, home, why)) from exc
    return path.resolve()


def check_writable(path: Path) -> None:
    """Raise ConfigError unless a file can be created in the data folder ``path``."""
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(_unusable(path, os.environ.get("PHAROS_HOME"), f"cannot write there ({exc.strerror})")) \
            from exc


def _unusable(path: Path, home: str | None, why: str) -> str:
    where = f"PHAROS_HOME={home}" if home else f"the data folder {path}"
    return f"{where} cannot be used: {why}; set PHAROS_HOME to a folder you can write to"


@dataclass
class Settings:
    api_url: str = DEFAULT_API_URL
    model: str = DEFAULT_MODEL  # a sentence-transformers name or a local folder
    device: str = "auto"  # auto | cpu | cuda | mps
    runtime: str = "auto"  # auto | torch | onnx-int8 | openvino-int8
    batch_size: int = 64
    chroma_url: str = ""  # empty: Chroma on disk under the data folder; else a `chroma run` server URL
    max_file_bytes: int = 1_000_000
    extra_excludes: list[str] = field(default_factory=list)  # gitignore-style patterns
    embed_code: bool = True  # embedded text = summary + the start of the code (see bench/search_eval)
    sync_send_source: bool = False  # chunk content sent to the cloud: summary (default) or source text
    sync_concurrency: int = 8  # requests in flight; each file's chunks still go in order
    parse_workers: int = 0  # 0: one fewer than the CPU count, at least one
    queue_url: str = ""  # the cloud's queue: Upstash REST (https://) or redis:// / rediss://
    work_for_cloud: bool = False  # the window's "Work for my cloud" switch
    # Cloud jobs may name only public https repositories (engine/worker/admission.py); these widen that.
    trusted_git_hosts: list[str] = field(default_factory=list)  # private git servers a job may name
    worker_allow_ssh: bool = False  # ssh:// and git@host:path jobs (they use this machine's ssh keys)
    # The git token is offered only to these hosts, only over https (never after a redirect elsewhere).
    git_token_hosts: list[str] = field(default_factory=lambda: ["github.com"])
    git_timeout: int = 60  # seconds a clone/fetch may show no progress before it is stopped
    max_cores: int = 0  # cores an ingest may keep busy (model threads, parse workers); 0: all of them
    low_priority: bool = True  # the window's ingest runs below normal OS priority, so the desktop stays responsive
    # AI assistants (`pharos-desktop mcp`): read-only unless the user lets them ingest; the window serves them over
    # HTTP on 127.0.0.1 while the switch is on (the token is a secret, secrets.MCP_TOKEN)
    mcp_allow_ingest: bool = False
    mcp_http: bool = False
    mcp_http_port: int = 8767
    # The live index (engine/live/): local folders followed as they change. One switch holds all automatic
    # work back; on battery it waits too, unless allowed.
    live_paused: bool = False
    live_on_battery: bool = False
    live_in_window: bool = True  # the window follows what it lists while it is open (off: `watch` does it)
    # Remote repositories: every this many minutes a cheap look (git ls-remote), a fetch and an update only when
    # the branch moved (0: never). Each update is then published to the cloud when the user asks for it.
    live_remote_minutes: int = 60
    live_sync_after: bool = False
    # The most the data folder may hold, in MB (0: no cap): an ingest that would pass it is refused before it
    # stores anything (engine/disk.py), and the window warns when the folder nears it.
    disk_cap_mb: int = 0

    def validate(self) -> None:
        if self.device not in DEVICES:
            raise ConfigError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.runtime not in RUNTIMES:
            raise ConfigError(f"runtime must be one of {', '.join(RUNTIMES)}, not {self.runtime!r}")
        if self.max_cores < 0:
            raise ConfigError("max cores must be 0 (all) or more")
        if self.batch_size < 1:
            raise ConfigError("batch size must be at least 1")
        if self.max_file_bytes < 1:
            raise ConfigError("the file size cap must be at least 1 byte")
        if self.sync_concurrency < 1:
            raise ConfigError("sync concurrency must be at least 1")
        if self.git_timeout < 1:
            raise ConfigError("the git timeout must be at least 1 second")
        if self.live_remote_minutes < 0:
            raise ConfigError("the remote check interval must be 0 (never) or more minutes")
        if self.disk_cap_mb < 0:
            raise ConfigError("the disk cap must be 0 (no cap) or more MB")
        if not 1024 <= self.mcp_http_port <= 65535:
            raise ConfigError(f"the assistants' HTTP port must be from 1024 to 65535, not {self.mcp_http_port}")

    @classmethod
    def load(cls, apply_env: bool = True) -> "Settings":
        settings = cls()
        path = data_folder() / "settings.json"
        if path.exists():
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"cannot read settings file {path}: {exc}; fix or delete it") from exc
            if not isinstance(stored, dict):
                raise ConfigError(f"settings file {path} does not hold a JSON object; fix or delete it")
            defaults = {f.name: getattr(settings, f.name) for f in fields(cls)}
            for key, value in stored.items():
                if key in defaults:
                    if not _same_type(value, defaults[key]):
                        raise ConfigError(f"setting {key!r} in {path} must be {_type_name(defaults[key])}, "
                                          f"not {value!r}; fix or delete it")
                    setattr(settings, key, value)
        if apply_env:
            for var, name in ENV_OVERRIDES.items():
                if os.environ.get(var):
                    current = getattr(settings, name)
                    raw = os.environ[var]
                    if isinstance(current, list):
                        setattr(settings, name, [part for part in re.split(r"[\s,]+", raw) if part])
                    elif isinstance(current, int):
                        try:
                            setattr(settings, name, int(raw))
                        except ValueError:
                            raise ConfigError(f"{var} must be a whole number, not {raw!r}") from None
                    else:
                        setattr(settings, name, raw)
        settings.validate()
        return settings

    def save(self) -> None:
        self.validate()
        path = data_folder() / "settings.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


def _same_type(value: object, default: object) -> bool:
    """Whether a value read from settings.json has the type of the field's default."""
    if default is None:
        return True  # an optional field: its users check it
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, type(default))


def _type_name(default: object) -> str:
    names = {bool: "true or false", int: "a whole number", str: "text", list: "a list of text"}
    return names.get(type(default), type(default).__name__)
