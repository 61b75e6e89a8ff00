"""A system keyring that fails with something other than keyring's own KeyringError (what a broken D-Bus
session raises on a Linux desktop): one line naming the variable to use instead where the token is needed,
a warning where it is optional, and the window goes on. keyring's real SecretService backend on a real
session bus (dbus-daemon): with no secret service on it, with nothing at the bus address, and with a secret
service that dies mid-call. The command line runs as a real process."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import SecretService
from PySide6.QtCore import Qt

from pharos_desktop.engine import secrets

from .cli_support import cli
from .dbus_session import SessionBus, available
from .repo_factory import make_sample_repo

pytestmark = pytest.mark.skipif(not available(), reason="no dbus-daemon on this machine")

# what each broken session makes keyring's SecretService backend raise (none of it a KeyringError)
REASONS = {
    "no secret service on the bus": "The Secret Service daemon is neither running nor activatable through D-Bus",
    "nothing at the bus address": "[Errno 2] No such file or directory",
    "the secret service dies mid-call": "Message recipient disconnected from message bus without replying",
}
TOKEN = "typed-into-settings-4321"


@pytest.fixture
def bus(tmp_path):
    bus = SessionBus(tmp_path)
    yield bus
    bus.stop()


@pytest.fixture(params=list(REASONS))
def broken(request, bus, tmp_path):
    """(the environment that selects the real SecretService backend on this broken session, its reason)"""
    address = bus.address
    service = None
    if request.param == "nothing at the bus address":
        address = f"unix:path={tmp_path / 'no-bus-here'}"
    elif request.param == "the secret service dies mid-call":
        service = bus.start_crashing_secret_service()
    yield ({"PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
            "DBUS_SESSION_BUS_ADDRESS": address}, REASONS[request.param])
    if service is not None:
        service.kill()
        service.wait(timeout=10)


def only_lines(done, code: int) -> list[str]:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "unexpected error" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()


def test_sync_fails_with_one_line_naming_pharos_token(tmp_path, broken):
    env, reason = broken
    done = cli("sync", home=tmp_path / "home", env=env, timeout=120)
    assert only_lines(done, 1) == [
        f"pharos-desktop: the system keyring is unavailable ({reason}); set PHAROS_TOKEN instead"]


def test_the_worker_names_the_token_it_could_not_read(tmp_path, bus):
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
           "DBUS_SESSION_BUS_ADDRESS": bus.address}
    reason = REASONS["no secret service on the bus"]
    upstash = cli("worker", "--queue-url", "https://queue.example.invalid", "--once", home=tmp_path / "home",
                  env=env, timeout=120)
    assert only_lines(upstash, 1) == [  # Upstash cannot go without its token
        f"pharos-desktop: the system keyring is unavailable ({reason}); set PHAROS_QUEUE_TOKEN instead"]
    redis = cli("worker", "--queue-url", "redis://127.0.0.1:9", "--once", home=tmp_path / "home", env=env,
                timeout=120)
    assert only_lines(redis, 1) == [  # a redis:// URL may need no token; the cloud token is needed
        f"warning: the system keyring could not be read ({reason}): going on without the queue token; "
        "set PHAROS_QUEUE_TOKEN to use one",
        f"pharos-desktop: the system keyring is unavailable ({reason}); set PHAROS_TOKEN instead"]


@pytest.mark.slow
def test_an_ingest_goes_on_without_the_optional_git_token_and_warns_once(tmp_path, bus):
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
           "DBUS_SESSION_BUS_ADDRESS": bus.address}
    sample = make_sample_repo(tmp_path / "sample")
    done = cli("ingest", sample.as_uri(), home=tmp_path / "home", env=env)  # a clone: a remote, its token asked for
    warning = (f"warning: the system keyring could not be read ({REASONS['no secret service on the bus']}): "
               "going on without the git token; set PHAROS_GIT_TOKEN to use one")
    assert only_lines(done, 0).count(warning) == 1
    # A folder read where it is reaches no remote: no token is read, so nothing to warn about.
    local = cli("ingest", str(sample), home=tmp_path / "home", env=env)
    assert local.returncode == 0 and warning not in local.stderr, local.stderr


@pytest.fixture
def broken_in_process(tmp_path, monkeypatch):
    """The window's own keyring: the real SecretService backend on a session bus address with nothing there."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus-here'}")
    keyring.set_keyring(SecretService.Keyring())  # conftest's memory_keyring puts the previous one back
    return REASONS["nothing at the bus address"]


def test_the_window_stores_tokens_for_this_run_and_says_why(qtbot, window, broken_in_process):
    dialog = window.open_settings()
    qtbot.waitUntil(lambda: dialog.keyring_note.text().startswith(  # read off the UI thread
        f"The system keyring is unavailable ({broken_in_process}): tokens are kept in memory for this run only."))
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)  # no token typed: the keyring is asked
    line = f"the system keyring is unavailable ({broken_in_process}); set PHAROS_TOKEN instead"
    qtbot.waitUntil(lambda: dialog.test_result.text() == line, timeout=20_000)
    dialog.queue_url.setText("https://queue.example.invalid")  # Upstash: its token is needed
    qtbot.mouseClick(dialog.test_queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.queue_result.text() == line.replace("PHAROS_TOKEN", "PHAROS_QUEUE_TOKEN"),
                    timeout=20_000)
    dialog.queue_url.setText("")
    qtbot.keyClicks(dialog.cloud_token, TOKEN)
    dialog.save()
    assert not dialog.isVisible() and dialog.kept_in_memory
    assert secrets.get_secret(secrets.CLOUD_TOKEN) == TOKEN


def test_the_cloud_switch_says_the_keyring_is_unavailable(qtbot, window, broken_in_process):
    window.workspace.settings.queue_url = "redis://127.0.0.1:9"
    window.tabs.setCurrentWidget(window.cloud.view)
    window.cloud.view.switch.setChecked(True)
    assert not window.cloud.view.switch.isChecked() and not window.cloud.running
    assert window.cloud.view.hint.text() == (
        f"The system keyring is unavailable ({broken_in_process}); set PHAROS_TOKEN instead, or type the token "
        "in Settings (File → Settings) for this run.")


PINNED_PROBE = """
import gc, weakref
from pharos_desktop.engine.ingest import git_access
from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.run.events import ignore_events
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.settings import Settings

class WorkingSet:  # what an ingest holds while it asks for the git token: its index, its model
    pass

def ingest_like():
    held = WorkingSet()
    git_access(Settings(), Task("ingest", ignore_events, CancelToken()))
    return weakref.ref(held)

kept = ingest_like()
gc.collect()
print("pinned" if kept() is not None else "freed")
"""


def test_the_first_keyring_look_pins_nothing_of_its_caller(tmp_path):
    """keyring keeps the traceback of a backend it failed to import; before, the first token lookup (inside an
    ingest) kept that ingest's frames, and so its model, alive for the life of the process (a watch, the
    worker, the assistants' server). A fresh process: its keyring has not chosen a backend yet."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PHAROS_HOME=str(tmp_path / "home"))
    env.pop("PHAROS_GIT_TOKEN", None)  # the keyring is asked only when the environment has no token
    done = subprocess.run([sys.executable, "-c", PINNED_PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "freed"
