"""Shared fixtures: every test gets its own data folder and an in-memory keyring; nothing touches the
user's real settings, keyring or model cache."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import keyring
import pytest

from pharos_desktop.tools.memory_keyring import MemoryKeyring
from tests.net import free_port

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of models made from the bundled weights for the whole run. The CPU's graph and the queries' graph
    are made here, once, so that no test meets the first run's torch stand-in (embedder._made_in_background) or
    starts making the queries' graph in the background (embedder._query_graph_in_background) by the order tests
    run in; tests of the first run give their own empty cache."""
    from pharos_desktop.engine.model import export
    from pharos_desktop.engine.model.embedder import QUERY_RUNTIME, bundled_model_path, cpu_graph_runtime

    cache = tmp_path_factory.mktemp("model-cache")
    for runtime in dict.fromkeys((cpu_graph_runtime(str(bundled_model_path())), QUERY_RUNTIME)):
        export.ensure_graph(bundled_model_path(), cache, runtime)
    return cache


@pytest.fixture(autouse=True)
def pharos_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("PHAROS_"):
            monkeypatch.delenv(name)
    home = tmp_path / "pharos-home"
    monkeypatch.setenv("PHAROS_HOME", str(home))
    monkeypatch.setenv("PHAROS_MODEL_CACHE", str(model_cache))
    # A search starts no resident search process, which would outlive the test (tests/test_resident_search.py
    # starts them, and ends them)
    monkeypatch.setenv("PHAROS_NO_RESIDENT", "1")
    return home


@pytest.fixture(autouse=True)
def _no_cli_process_left():
    """A test that failed midway leaves no `pharos-desktop watch` (or other long command) running behind it."""
    yield
    from tests.cli_support import end_started

    end_started()


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


@pytest.fixture(scope="session")
def real_cloud_service(tmp_path_factory: pytest.TempPathFactory):
    """The real Pharos cloud (shared/pharos-cloud), one per test session. In CI its absence is a failure."""
    from tests.real_cloud import RealCloud, unavailable_reason

    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    cloud = RealCloud.start(tmp_path_factory.mktemp("real-cloud"))
    yield cloud
    cloud.stop()


@pytest.fixture
def real_cloud(real_cloud_service):
    """The real cloud with an empty account and an empty queue."""
    real_cloud_service.reset()
    return real_cloud_service


@pytest.fixture
def hermetic_git(monkeypatch):
    """No global or system git config of the developer's (excludesFile, credential helper, insteadOf,
    templates) may change what a test's git commands do."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def tls(tmp_path, monkeypatch):
    """A throwaway certificate for 127.0.0.1 and 127.0.0.2 that the git processes trust: (cert, key)."""
    from tests.git_server import make_certificate

    cert, key = make_certificate(tmp_path)
    monkeypatch.setenv("GIT_SSL_CAINFO", str(cert))
    return cert, key


@pytest.fixture
def git_servers():
    """Start real smart-HTTP git servers (tests/git_server.GitServer(...) arguments); all closed at the end."""
    from tests.git_server import GitServer

    started: list = []

    def start(*args, **kwargs):
        started.append(GitServer(*args, **kwargs))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def git_daemon(tmp_path):
    """A real `git daemon` on 127.0.0.1 serving git://127.0.0.1:PORT/NAME.git (``publish`` a work tree)."""
    from tests.git_daemon import GitDaemon

    served = tmp_path / "git-daemon-root"
    served.mkdir()
    daemon = GitDaemon(served)
    yield daemon
    daemon.stop()


@pytest.fixture
def stalled_server():
    """Accepts git's request and never answers: the ingest sits in its clone, with git running."""
    release = threading.Event()

    class Stall(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            release.wait(120)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Stall)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def window(qtbot, pharos_home, tmp_path):
    """The real main window on a fresh workspace (tests/ui_support.py opens and closes it)."""
    from tests.ui_support import close_window, open_window

    window = open_window(qtbot, tmp_path)
    yield window
    close_window(qtbot, window)


@pytest.fixture
def cloud():
    """The fake cloud (pharos_desktop/tools/fake_cloud.py) on 127.0.0.1, accepting tests/sync_support.TOKEN."""
    from pharos_desktop.tools.fake_cloud import CloudServer
    from tests.sync_support import TOKEN

    server = CloudServer(token=TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def index(workspace):
    """A workspace whose catalog holds tests/sync_support.build_index's repositories."""
    from tests.sync_support import build_index

    build_index(workspace.catalog)
    return workspace
