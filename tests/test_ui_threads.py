"""The window's pools (ui/threads.py), with real threads: a sweep over every repository (a chore) never makes a
search wait, and makes way while one runs."""

from __future__ import annotations

import threading
import time

from pharos_desktop.ui.threads import Threads


def test_reads_run_while_long_chores_hold_their_thread(qtbot):
    threads = Threads()
    release = threading.Event()
    shown: list = []
    try:
        for _ in range(3):  # more sweeps than the read pool has threads: on it, they would queue the search
            threads.chore(lambda: release.wait(30), lambda _: None)
        threads.read(lambda: "found", shown.append)
        qtbot.waitUntil(lambda: shown == ["found"], timeout=5_000)
        assert not release.is_set()
    finally:
        release.set()
        threads.shutdown()


def test_a_chore_makes_way_while_a_read_runs_and_goes_on_after(qtbot):
    threads = Threads()
    reading, release = threading.Event(), threading.Event()
    steps: list = []

    def read():
        reading.set()
        release.wait(30)
        steps.append("read ended")

    def sweep():
        for n in range(3):
            threads.make_way()
            steps.append(f"repository {n}")
            if n == 0:
                reading.wait(30)  # a search began while the first repository was looked at
                time.sleep(0.05)
        return "swept"

    done: list = []
    try:
        threads.chore(sweep, done.append)
        reading_started = threads.read(read, lambda _: None)
        assert reading.wait(10)
        time.sleep(0.5)
        assert steps == ["repository 0"]  # waiting for the read, not sweeping beside it
        release.set()
        reading_started.result(timeout=10)
        qtbot.waitUntil(lambda: done == ["swept"], timeout=5_000)
        assert steps == ["repository 0", "read ended", "repository 1", "repository 2"]
    finally:
        release.set()
        threads.shutdown()


def test_make_way_waits_no_longer_than_asked(qtbot):
    threads = Threads()
    release = threading.Event()
    try:
        threads.read(lambda: release.wait(30), lambda _: None)
        time.sleep(0.2)
        started = time.monotonic()
        threads.make_way(longest=0.3)
        waited = time.monotonic() - started
        assert 0.25 < waited < 5
    finally:
        release.set()
        threads.shutdown()
