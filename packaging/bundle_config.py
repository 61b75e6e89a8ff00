"""What goes into the PyInstaller bundle and what is left out (used by build.spec; plain Python, testable).

Kept apart from build.spec so the lists can be read, reviewed and unit-tested without running PyInstaller.
"""

from __future__ import annotations

import re
from pathlib import Path

# tree-sitter grammars are imported by name in pharos_desktop/engine/parse/languages.py.
GRAMMAR_MODULES = [
    "tree_sitter_python", "tree_sitter_javascript", "tree_sitter_typescript", "tree_sitter_go",
    "tree_sitter_rust", "tree_sitter_java", "tree_sitter_c", "tree_sitter_cpp", "tree_sitter_c_sharp",
    "tree_sitter_ruby", "tree_sitter_php", "tree_sitter_kotlin", "tree_sitter_swift", "tree_sitter_scala",
    "tree_sitter_bash", "tree_sitter_lua",
]

# The Qt modules the window uses (QtSvg: the SVG app icon and toolbar icons). Only these are bundled;
# the PySide6 hooks add the matching plugins (platforms, imageformats, iconengines, styles ...).
QT_MODULES = ["PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg"]

# Distributions whose metadata (dist-info) is read at run time: transformers checks versions and
# presence with importlib.metadata (hook-transformers adds its whole dependency table on top);
# keyring finds its backends and opentelemetry its context through entry points.
METADATA = [
    "torch", "transformers", "sentence-transformers", "tokenizers", "huggingface-hub", "safetensors",
    "tqdm", "regex", "requests", "packaging", "filelock", "numpy", "pyyaml", "scipy", "scikit-learn",
    "chromadb", "httpx", "pydantic", "keyring", "opentelemetry-api", "opentelemetry-sdk",
    "tree-sitter", "PySide6-Essentials", "qasync", "GitPython", "platformdirs", "pygments", "certifi",
]

_QT_UNUSED = [
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender", "QtAxContainer",
    "QtBluetooth", "QtCharts", "QtConcurrent", "QtDataVisualization", "QtDBus", "QtDesigner", "QtGraphs",
    "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLocation", "QtMultimedia", "QtMultimediaWidgets",
    "QtNetworkAuth", "QtNfc", "QtOpenGL", "QtOpenGLWidgets", "QtPdf", "QtPdfWidgets", "QtPositioning",
    "QtPrintSupport", "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickWidgets",
    "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio", "QtSql",
    "QtStateMachine", "QtSvgWidgets", "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel",
    "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
]

EXCLUDES = [
    # other GUI toolkits and Qt bindings (qasync probes for them)
    "tkinter", "_tkinter", "PyQt5", "PyQt6", "PySide2", "matplotlib", "IPython", "ipykernel", "jupyter",
    "notebook",
    # test frameworks and test suites
    "pytest", "_pytest", "pytestqt", "pytest_timeout", "hypothesis",
    "chromadb.test", "numpy.tests", "scipy.conftest",
    # chromadb: we pass our own embeddings (embedding_function=None), so its ONNX MiniLM is never used (our
    # own int8 graph runs on onnxruntime, which stays); the server, the k8s/cloud clients and its CLI are not either.
    # uvicorn stays: `mcp --http` serves assistants with it (plain asyncio and h11, so not its optional speed-ups).
    "kubernetes", "chromadb.server", "chromadb.cli", "chromadb.app", "fastapi",
    "uvloop", "watchfiles", "httptools", "websockets",
    # torch extras we never call (compiler back ends, tensorboard, onnx export)
    "triton", "tensorboard", "torch.utils.tensorboard", "onnx", "onnxscript", "torchvision", "torchaudio",
    # NNCF makes the OpenVINO graph at build time; the bundle only runs it
    "nncf",
    # dev tools installed in the venv
    "PyInstaller", "pip", "setuptools", "pkg_resources", "importlinter", "grimp", "build",
] + [f"PySide6.{name}" for name in _QT_UNUSED]

# Module names of test suites: ``pkg.tests``, ``pkg.test``, ``pkg.tests.x``, ``conftest``. (torch's own
# ``torch.testing._internal`` is trimmed in packaging/hooks/hook-torch.py instead: torch imports parts of it.)
_TEST_MODULE = re.compile(r"(^|\.)(tests?|conftest)(\.|$)")
# Runtime modules that only look like test suites.
KEEP_MODULES = {"jinja2.tests"}


def drop_module(name: str) -> bool:
    return name not in KEEP_MODULES and bool(_TEST_MODULE.search(name))


# CUDA / ROCm runtime libraries (only dropped with PHAROS_BUNDLE_CPU=1, i.e. a CPU torch build).
_CUDA_BINARY = re.compile(
    r"(^|[/\\])(nvidia[/\\]|triton[/\\]|(lib)?(cudnn|cublas|cublasLt|cudart|cufft|cufile|curand|cusolver|cusparse|"
    r"cusparseLt|nccl|nvrtc|nvJitLink|nvToolsExt|nvtx|cupti|torch_cuda|c10_cuda|caffe2_nvrtc|amdhip|rocm|hipblas|"
    r"MIOpen|rccl)[^/\\]*\.(so|dll|dylib))", re.IGNORECASE)


def drop_binary(dest: str, src: str, cpu_only: bool) -> bool:
    """CUDA libraries go with PHAROS_BUNDLE_CPU=1; a CUDA toolkit of the *build machine* (found outside
    site-packages, e.g. /usr/local/cuda/lib/libcudart.so picked up through a ctypes look-up) never ships:
    a CUDA torch wheel brings its own (torch/lib or nvidia/*), and the toolkit is tied to that machine."""
    if not _CUDA_BINARY.search(dest):
        return False
    in_packages = "site-packages" in src or "dist-packages" in src
    return cpu_only or not in_packages


# Data files that are never read at run time: C/C++ headers, CMake files, torch's build tools, Qt's
# translations other than qtbase's, test data.
_DEAD_DATA = re.compile(
    r"(^|[/\\])(torch[/\\](include|share|test)[/\\]|"
    r"PySide6[/\\]Qt[/\\]translations[/\\](?!qtbase_)|"
    r"[^/\\]+[/\\]tests?[/\\])|\.(h|hpp|cuh|cmake|pyi|lib|a)$", re.IGNORECASE)


# Metadata of dev/test tools and excluded packages (hook-transformers copies every dist in transformers'
# dependency table that is installed, pytest-timeout included); without the package it only misleads.
_DEAD_METADATA = re.compile(
    r"(^|[/\\])(pytest|pytest_[a-z_]+|_pytest|hypothesis|kubernetes|matplotlib|ipython|tensorboard|"
    r"pyinstaller|pyinstaller_hooks_contrib|import_linter|grimp|pip|setuptools)-[^/\\]+\.dist-info([/\\]|$)",
    re.IGNORECASE)


def drop_data(dest: str) -> bool:
    return bool(_DEAD_DATA.search(dest) or _DEAD_METADATA.search(dest))


def find_icon(icon_dirs: list[Path], platform: str) -> str | None:
    """The app icon PyInstaller can embed: .ico on Windows, .icns on macOS (Linux ELF files carry none;
    there the window sets its icon from pharos_desktop/resources/icons/pharos.svg at run time).

    Looks for pharos.<ext>, then any pharos*.<ext>, in each folder in turn. With only the SVG,
    packaging/make_icons.py renders pharos.ico/pharos.icns (build.spec runs it when nothing is found).
    """
    ext = {"win32": ".ico", "darwin": ".icns"}.get(platform)
    if ext is None:
        return None
    for folder in icon_dirs:
        candidates = [p for pattern in (f"pharos{ext}", f"pharos*{ext}")
                      for p in sorted(Path(folder).glob(pattern))]
        if candidates:
            return str(candidates[0])
    return None


def cuda_torch_build() -> bool:
    """Whether the installed torch is a CUDA build (from its metadata: no import, no GPU needed)."""
    from importlib import metadata

    try:
        dist = metadata.distribution("torch")
    except metadata.PackageNotFoundError:
        return False
    if "+cu" in dist.version or "+rocm" in dist.version:
        return True
    try:
        from packaging.requirements import Requirement
    except ImportError:
        return any(req.startswith("nvidia-") and "extra ==" not in req for req in dist.requires or [])
    for text in dist.requires or []:
        req = Requirement(text)
        if req.name.startswith("nvidia-") and (req.marker is None or req.marker.evaluate({"extra": ""})):
            return True
    return False
