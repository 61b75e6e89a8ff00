"""A sync holds its repositories' locks, the same OS file locks an ingest takes (engine/run/repo_lock.py): while
another window or command holds one, the sync says so once, sends nothing, stays cancellable, and goes on
once it is free. Against the fake cloud over real HTTP, with a real catalog; the lock is held here as an
ingest holds it. Two real sync processes of one repository are in tests/test_sync_real_cloud.py."""

from __future__ import annotations

import threading
import time

import pytest
from filelock import FileLock, Timeout

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.errors import Cancelled, CloudError
from pharos_desktop.engine.run.events import JobCancelled, StageMessage
from pharos_desktop.engine.run.repo_lock import busy_message, repo_lock
from tests.sync_support import HOSTED, LOCAL, make_syncer, run_sync


class Background:
    """A sync on a thread, as the window or the cloud worker runs one."""

    def __init__(self, syncer, repo: str | None) -> None:
        self.events: list = []
        self.cancel = CancelToken()
        self.outcome: list = []
        self.thread = threading.Thread(target=self._run, args=(syncer, repo), daemon=True)
        self.thread.start()

    def _run(self, syncer, repo) -> None:
        try:
            self.outcome.append(run_sync(syncer, repo, self.events, self.cancel))
        except BaseException as exc:  # noqa: BLE001 - looked at by the test
            self.outcome.append(exc)

    def messages(self) -> list[str]:
        return [event.text for event in self.events if isinstance(event, StageMessage)]

    def wait_for_message(self, text: str) -> None:
        deadline = time.monotonic() + 30
        while text not in self.messages():
            assert time.monotonic() < deadline and self.thread.is_alive(), self.outcome or self.messages()
            time.sleep(0.05)

    def result(self):
        self.thread.join(60)
        assert not self.thread.is_alive()
        return self.outcome[0]


def held(index, repo_id: str):
    return repo_lock(index.data_folder, repo_id, cancel=CancelToken(), on_wait=lambda: None)


def test_a_sync_waits_for_its_repository_saying_so_once_and_can_be_cancelled(index, cloud):
    with held(index, HOSTED.repo_id):
        sync = Background(make_syncer(index, cloud), HOSTED.name)
        sync.wait_for_message(busy_message(HOSTED.name))
        time.sleep(0.6)  # a few more tries of the lock
        assert cloud.total_requests() == 0
        assert sync.messages().count(busy_message(HOSTED.name)) == 1
        sync.cancel.cancel()
        assert isinstance(sync.result(), Cancelled)
    assert isinstance(sync.events[-1], JobCancelled)
    assert cloud.total_requests() == 0


def test_a_sync_of_everything_waits_for_each_busy_repository_then_publishes(index, cloud):
    with held(index, LOCAL.repo_id):
        sync = Background(make_syncer(index, cloud), None)
        sync.wait_for_message(busy_message(LOCAL.name))
        assert cloud.total_requests() == 0  # the free repository is not published ahead of the busy one
    summary = sync.result()
    assert (summary.created, summary.failed) == (20, 0)
    assert busy_message(HOSTED.name) not in sync.messages()


def is_free(index, repo_id: str) -> bool:
    lock = FileLock(index.data_folder / "locks" / f"{repo_id}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    lock.release()
    return True


def test_the_locks_are_released_however_a_sync_ends(index, cloud):
    run_sync(make_syncer(index, cloud))
    assert is_free(index, HOSTED.repo_id) and is_free(index, LOCAL.repo_id)  # the window's next ingest can go
    with pytest.raises(CloudError, match="refused the token"):
        run_sync(make_syncer(index, cloud, token="wrong-token"))
    assert is_free(index, HOSTED.repo_id) and is_free(index, LOCAL.repo_id)
