"""A plain (not editable) install of the wheel carries its tag queries and icons.

Builds the wheel from this checkout, installs it into a fresh venv and runs it from a folder outside
the checkout with no PYTHONPATH, so nothing can be found through the source tree. The dependencies
(torch, tree-sitter, Qt ...) are not reinstalled: the venv reads them from this test's environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from pharos_desktop.engine.parse.languages import GRAMMARS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _run(*cmd: str | Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in cmd], capture_output=True, text=True, timeout=300, **kwargs)


def _checked(*cmd: str | Path, **kwargs) -> str:
    result = _run(*cmd, **kwargs)
    assert result.returncode == 0, f"{cmd}: {result.stdout}{result.stderr}"
    return result.stdout


class Installed:
    def __init__(self, venv: Path, env: dict[str, str], cwd: Path):
        self.env, self.cwd = env, cwd
        self.python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        paths = json.loads(_checked(self.python, "-c", "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))",
                                    env=env, cwd=cwd))
        self.purelib, self.scripts = Path(paths["purelib"]), paths["scripts"]

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return _run(*args, env=self.env, cwd=self.cwd)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    work = tmp_path_factory.mktemp("wheel")
    # Build from a copy: setuptools leaves build/ behind, and files left there would ship in later wheels.
    source = work / "source"
    shutil.copytree(ROOT / "pharos_desktop", source / "pharos_desktop", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    _checked(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
             "-w", work / "dist", source)
    (wheel,) = (work / "dist").glob("pharos_desktop-*.whl")

    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(PHAROS_HOME=str(work / "home"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               ANONYMIZED_TELEMETRY="False", QT_QPA_PLATFORM="offscreen")
    elsewhere = work / "cwd"
    elsewhere.mkdir()
    venv = work / "venv"
    _checked(sys.executable, "-m", "venv", "--without-pip", venv, env=env)
    installed = Installed(venv, env, elsewhere)
    # Plain path lines, so this environment's own .pth files (its editable install of the checkout) never run.
    shared = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (installed.purelib / "test-dependencies.pth").write_text("".join(f"{path}\n" for path in shared))
    # pip comes from the shared packages; --ignore-installed leaves the shared environment's copy alone.
    _checked(installed.python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q", wheel,
             env=env, cwd=elsewhere)
    return installed


def test_doctor_from_the_installed_wheel_loads_every_grammar_and_query(installed):
    command = shutil.which("pharos-desktop", path=installed.scripts)
    assert command, f"no pharos-desktop script in {installed.scripts}"
    result = installed.run(command, "doctor", "--json", "--no-model")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["grammars"] == {language: None for language in GRAMMARS}, report["grammars"]
    assert report["problems"] == []
    assert Path(report["resources"]).is_relative_to(installed.purelib), report["resources"]


def test_the_window_icon_loads_from_the_installed_wheel(installed):
    script = ("import sys\n"
              "from PySide6.QtGui import QGuiApplication\n"
              "app = QGuiApplication(sys.argv[:1])\n"
              "from pharos_desktop.ui.icons import app_icon, icon_path\n"
              "print(icon_path('pharos.svg'))\n"
              "sys.exit(0 if not app_icon().pixmap(64, 64).isNull() else 3)\n")
    result = installed.run(str(installed.python), "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed.purelib), result.stdout
