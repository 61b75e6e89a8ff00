"""The screenshot tool (pharos_desktop/tools/screenshots.py) drives the real window through every view,
the sync view included, and leaves the user's own data folder alone."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pharos_desktop.tools.screenshots import VIEWS

from .repo_factory import make_sample_repo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_screenshots_of_every_view_without_touching_the_users_data(tmp_path):
    source = make_sample_repo(tmp_path / "sample")
    users_home = tmp_path / "users-home"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PHAROS_")}
    env.update(PHAROS_HOME=str(users_home), QT_QPA_PLATFORM="offscreen")
    # `pharos-desktop screenshots`, the command the README gives: __main__ hands it to the tool
    result = subprocess.run([sys.executable, "-m", "pharos_desktop", "screenshots", str(tmp_path / "shots"),
                             "--source", str(source)], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    shots = sorted((tmp_path / "shots").glob("*.png"))
    assert [path.stem for path in shots] == list(VIEWS)
    assert all(path.read_bytes().startswith(PNG_SIGNATURE) and path.stat().st_size > 10_000 for path in shots)
    assert not users_home.exists()

