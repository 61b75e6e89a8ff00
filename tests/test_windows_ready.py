"""What Windows needs, tested on Linux: output that survives a cp1252 console or pipe, a cancel channel
the code owns (the child's stdin, no console or signal), and the process tree ended when it must be."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.errors import Cancelled
from pharos_desktop.engine.run.event_codec import decode
from pharos_desktop.engine.run.events import JobCancelled, JobFinished, StageMessage
from pharos_desktop.engine.isolated import IsolatedIngestor
from pharos_desktop.engine.run.processes import kill_tree
from pharos_desktop.engine.run.task import Task
from pharos_desktop.tools.sample_repos import add_commit, init_repo

from .cli_support import git_processes, job_states, wait_until

pytestmark = pytest.mark.usefixtures("hermetic_git")  # shared fixture: tests/conftest.py



def cp1252(*args: str, home) -> subprocess.CompletedProcess:
    """The command line writing to pipes whose encoding is cp1252, as on a Western Windows."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_") or k == "PHAROS_NO_RESIDENT"}
    env.update(PHAROS_HOME=str(home), PYTHONIOENCODING="cp1252")
    return subprocess.run([sys.executable, "-m", "pharos_desktop", *args], capture_output=True, env=env,
                          encoding="cp1252", timeout=300)


@pytest.fixture
def unicode_repo(tmp_path):
    repo = tmp_path / "日本語-リポ"
    init_repo(repo)
    add_commit(repo, {"src/挨拶.py": 'def 挨拶(名前):\n    """日本語の関数: こんにちは"""\n    return 名前\n',
                      "café.py": 'def café_au_lait():\n    """naïve ünïcödé 文件"""\n    return 1\n'})
    return repo


def test_every_output_survives_a_cp1252_stream(unicode_repo, tmp_path):
    home = tmp_path / "home"
    plain = cp1252("ingest", str(unicode_repo), home=home)
    assert plain.returncode == 0, plain.stderr
    assert "-" in plain.stdout and "files" in plain.stdout  # the name is shown with '?' where cp1252 has none

    as_json = cp1252("ingest", str(unicode_repo), "--json", home=home)
    assert as_json.returncode == 0, as_json.stderr
    result = json.loads(as_json.stdout)
    assert result["repo"] == "日本語-リポ"  # ASCII on the wire, the exact text once parsed

    events = cp1252("ingest", str(unicode_repo), "--events", home=home)
    assert events.returncode == 0, events.stderr
    decoded = [decode(line) for line in events.stdout.splitlines()]
    assert isinstance(decoded[-1], JobFinished) and "日本語-リポ" in decoded[0].title

    found = cp1252("search", "挨拶 こんにちは", "--json", home=home)
    assert found.returncode == 0, found.stderr
    assert "src/挨拶.py" in {hit["path"] for hit in json.loads(found.stdout)}
    shown = cp1252("search", "挨拶 こんにちは", home=home)
    assert shown.returncode == 0 and "src/??.py" in shown.stdout and "café.py" in shown.stdout, shown.stderr

    exported = cp1252("export", "日本語-リポ", "--jsonl", home=home)
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert {"src/挨拶.py", "café.py"} == {row["path"] for row in rows}
    assert exported.stdout.isascii()


def cancel_over_stdin(process: subprocess.Popen, how: str) -> None:
    if how == "a cancel line":
        process.stdin.write("cancel\n")
        process.stdin.flush()
    else:  # the window is gone: its end of the pipe closes
        process.stdin.close()


@pytest.mark.parametrize("how", ["a cancel line", "stdin closing"])
def test_the_child_ingest_cancels_through_its_stdin(how, stalled_server, tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_")}
    env["PHAROS_HOME"] = str(home)
    process = subprocess.Popen([sys.executable, "-m", "pharos_desktop", "ingest", stalled_server + "/r.git",
                                "--events", "--cancel-on-stdin"], env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    port = stalled_server.rsplit(":", 1)[1]
    wait_until(lambda: git_processes(port), "git to start cloning")
    cancel_over_stdin(process, how)
    process.wait(timeout=30)
    stdout, stderr = process.stdout.read(), process.stderr.read()
    assert process.returncode == 130, stderr
    assert isinstance(decode(stdout.splitlines()[-1]), JobCancelled)
    assert job_states(home) == ["cancelled"] and not list((home / "clones").iterdir())
    wait_until(lambda: not git_processes(port), "git to end", seconds=5)


def test_the_window_cancels_its_child_without_a_signal(stalled_server, workspace, tmp_path):
    cancel = CancelToken()
    events: list = []

    def watch(event) -> None:
        events.append(event)
        if isinstance(event, StageMessage) and event.text.startswith("cloning"):
            cancel.cancel()

    started = time.monotonic()
    with pytest.raises(Cancelled):
        IsolatedIngestor(workspace).ingest(stalled_server + "/r.git", task=Task("ingest", watch, cancel, "w1"))
    assert time.monotonic() - started < 60
    assert isinstance(events[-1], JobCancelled)
    assert list(workspace.jobs.states().values()) == ["cancelled"]


def test_kill_tree_ends_the_child_and_what_it_started():
    process = subprocess.Popen(["sh", "-c", "sleep 30 & sleep 30"], start_new_session=True)
    time.sleep(0.3)
    kill_tree(process)
    process.wait(timeout=5)
    out = subprocess.run(["ps", "-eo", "pgid,args"], capture_output=True, text=True).stdout
    alive = [line for line in out.splitlines() if line.split(None, 1)[0] == str(process.pid) and "<defunct>" not in line]
    assert not alive
