"""`pharos-desktop watch` runs its updates in a child process (engine/live/update.py), through real processes
and real signals: the watch stays the size of a watcher after an update, the child goes when the watch is
stopped mid-update, a child killed with SIGKILL mid-update is said in one line and the next update finishes
its work, and a child with nothing to do ends by itself."""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from pharos_desktop.engine.live.status import repo_status
from pharos_desktop.engine.live.update import UpdateChild
from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.states import JobKind
from pharos_desktop.tools.sample_repos import make_many_file_repo, write_file

from .cli_support import query, wait_until
from .test_live import ended, function, ingested, make_repo, reported, symbols, watch_process

RENAMED = "SELECT COUNT(*) FROM chunks WHERE symbol LIKE 'renamed_%'"


def update_child(process) -> psutil.Process | None:
    children = psutil.Process(process.pid).children()
    return children[0] if children else None


def rename_all(path, count: int = 300) -> None:
    for n in range(count):
        write_file(path, f"pkg/part_{n // 40}/mod_{n:03d}.py", function(f"renamed_{n}"))


def test_after_an_update_the_watch_process_holds_no_model(workspace, pharos_home, tmp_path):
    path = make_repo(tmp_path / "repo")
    repo = ingested(workspace, path)
    process = watch_process(pharos_home, str(path))
    try:
        wait_until(lambda: reported(process, "repo: up to date with"), "the catch-up look")
        write_file(path, "src/gamma.py", function("gamma_tokenizer"))
        wait_until(lambda: reported(process, "chunks embedded)"), "the update")
        assert "gamma_tokenizer" in symbols(workspace, repo)
        # The model and the stores were loaded by the update's process, which is not the watch (an update in the
        # watch itself left it at 280 MB; a watch that only looks is about 35 MB).
        assert psutil.Process(process.pid).memory_info().rss < 100 * 2**20
        assert query(pharos_home, "SELECT owner_pid FROM jobs ORDER BY started_at DESC LIMIT 1")[0][0] != process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
    stderr = ended(process)
    assert process.returncode == 0, stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_mid_update_stops_the_update_child_too(signum, workspace, pharos_home, tmp_path):
    path = make_many_file_repo(tmp_path / "many", 300)
    ingested(workspace, path)
    process = watch_process(pharos_home, str(path))
    wait_until(lambda: reported(process, "up to date with"), "the catch-up look")
    rename_all(path)
    wait_until(lambda: query(pharos_home, RENAMED)[0][0] > 0, "the update to store its first files")
    child = update_child(process)
    assert child is not None
    os.killpg(process.pid, signum)  # the watch's group, as a terminal does: the child has a session of its own
    stderr = ended(process)
    assert process.returncode == 0, stderr
    assert stderr.rstrip().endswith("stopped watching")
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert query(pharos_home, "SELECT state FROM jobs ORDER BY started_at DESC LIMIT 1") == [("cancelled",)]
    assert query(pharos_home, "SELECT state FROM repos") == [("interrupted",)]
    assert query(pharos_home, RENAMED)[0][0] < 300  # it was stopped part way


def test_kill_9_of_the_update_child_is_said_and_the_next_update_finishes_its_work(workspace, pharos_home, tmp_path):
    path = make_many_file_repo(tmp_path / "many", 300)
    repo = ingested(workspace, path)
    process = watch_process(pharos_home, str(path))
    try:
        wait_until(lambda: reported(process, "up to date with"), "the catch-up look")
        rename_all(path)
        wait_until(lambda: query(pharos_home, RENAMED)[0][0] > 0, "the update to store its first files")
        update_child(process).kill()
        wait_until(lambda: reported(process, "many: check failed: the update process ended unexpectedly "
                                             "(exit code -9)"), "the watch to say the update failed")
        assert query(pharos_home, RENAMED)[0][0] < 300
        assert repo_status(workspace, workspace.catalog.find_repo(repo.repo_id)) == \
            "interrupted part way: the next update finishes it"
        write_file(path, "pkg/extra.py", function("after_the_kill"))  # the next change: a new child
        wait_until(lambda: query(pharos_home, "SELECT state FROM repos") == [("ready",)]
                   and query(pharos_home, RENAMED)[0][0] == 300
                   and "after_the_kill" in symbols(workspace, repo), "the next update to finish the work")
        assert process.poll() is None  # the watch itself lived on
    finally:
        os.killpg(process.pid, signal.SIGTERM)
    stderr = ended(process)
    assert process.returncode == 0, stderr
    assert repo_status(workspace, workspace.catalog.find_repo(repo.repo_id)).startswith("up to date with")


def test_an_update_child_with_nothing_to_do_ends_by_itself(workspace, tmp_path):
    path = make_repo(tmp_path / "repo")
    repo = ingested(workspace, path)
    updates = UpdateChild(workspace, CancelToken(), linger=1)
    write_file(path, "src/gamma.py", function("gamma_tokenizer"))
    updates(str(path), None, Task(JobKind.INGEST, cancel=updates.cancel))
    child = psutil.Process(updates.pid)
    assert child.pid != os.getpid() and "gamma_tokenizer" in symbols(workspace, repo)
    write_file(path, "src/delta.py", function("delta_merger"))  # a second update, while it is kept
    updates(str(path), None, Task(JobKind.INGEST, cancel=updates.cancel))
    assert updates.pid == child.pid and "delta_merger" in symbols(workspace, repo)
    wait_until(lambda: updates.pid is None, "the idle child to be let go", seconds=60)
    wait_until(lambda: not child.is_running(), "the child to end", seconds=60)


def test_a_kept_child_is_replaced_once_another_process_wrote_the_vector_store(workspace, tmp_path):
    # chromadb's client in a kept child does not see another process's writes, and then fails the update ("Failed
    # to apply logs to the hnsw segment writer", seen in bench_live): the next update gets a fresh child.
    path = make_repo(tmp_path / "repo")
    repo = ingested(workspace, path)
    updates = UpdateChild(workspace, CancelToken(), linger=600)
    try:
        write_file(path, "src/gamma.py", function("gamma_tokenizer"))
        updates(str(path), None, Task(JobKind.INGEST, cancel=updates.cancel))
        kept = updates.pid
        write_file(path, "src/delta.py", function("delta_merger"))
        updates(str(path), None, Task(JobKind.INGEST, cancel=updates.cancel))
        assert updates.pid == kept  # nobody else wrote: the same child
        write_file(path, "src/epsilon.py", function("epsilon_writer"))
        ingested(workspace, path)  # a manual ingest, in this process: the store changes under the child
        write_file(path, "src/zeta.py", function("zeta_reader"))
        updates(str(path), None, Task(JobKind.INGEST, cancel=updates.cancel))
        assert updates.pid not in (None, kept)
        assert {"gamma_tokenizer", "delta_merger", "epsilon_writer", "zeta_reader"} <= set(symbols(workspace, repo))
    finally:
        updates.stop()
