"""Only the newest answer is shown (ui/latest.py), with the window's real worker pool and real threads."""

from __future__ import annotations

import threading

from pharos_desktop.ui.latest import NewestOnly
from pharos_desktop.ui.threads import Threads


def test_an_older_answer_arriving_late_is_dropped(qtbot):
    threads = Threads()
    reads = NewestOnly(threads)
    shown: list = []
    release = threading.Event()
    try:
        old = reads.read(lambda: release.wait(30) and "old", shown.append)  # still running when the next is asked
        reads.read(lambda: "new", shown.append)
        qtbot.waitUntil(lambda: shown == ["new"], timeout=10_000)
        release.set()
        old.result(timeout=10)  # its answer is on its way to the UI thread now
        qtbot.wait(200)
        assert shown == ["new"]
    finally:
        release.set()
        threads.shutdown()


def test_errors_follow_the_same_rule_and_drop_forgets_what_is_on_its_way(qtbot):
    threads = Threads()
    reads = NewestOnly(threads)
    shown: list = []
    release = threading.Event()

    def fail():
        release.wait(30)
        raise ValueError("late")

    try:
        late = reads.read(fail, shown.append, lambda exc: shown.append(str(exc)))
        reads.drop()  # the view was cleared meanwhile
        release.set()
        late.result(timeout=10)
        reads.read(lambda: 1 / 0, shown.append, lambda exc: shown.append(type(exc).__name__))
        qtbot.waitUntil(lambda: shown == ["ZeroDivisionError"], timeout=10_000)
        qtbot.wait(200)
        assert shown == ["ZeroDivisionError"]
    finally:
        threads.shutdown()
