"""Shared fixtures: every test gets its own data folder and an in-memory keyring; nothing touches the
user's real settings, keyring or model cache."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps secrets in a dict, so tests can check what was stored."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of models made from the bundled weights (the ONNX graph) for the whole run: made once."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def pharos_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("PHAROS_"):
            monkeypatch.delenv(name)
    home = tmp_path / "pharos-home"
    monkeypatch.setenv("PHAROS_HOME", str(home))
    monkeypatch.setenv("PHAROS_MODEL_CACHE", str(model_cache))
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    from pharos_desktop.engine import secrets

    secrets._memory.clear()
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def workspace(pharos_home: Path):
    from pharos_desktop.engine.workspace import Workspace

    ws = Workspace()
    yield ws
    ws.catalog.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A real `chroma run` on 127.0.0.1, for the server mode of the vector store."""
    chroma = Path(sys.executable).with_name("chroma")
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    process = subprocess.Popen([str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("chroma run did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)
