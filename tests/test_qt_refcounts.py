"""The Qt binding must not lose references to True, False or None when signals are emitted.

PySide6 6.12.0 drops one reference to ``True``/``False`` on every ``Signal.emit()`` under Python 3.11
(3.12+ make them immortal, which hides it), and the window dies with "Fatal Python error:
bool_dealloc". The emits run in a child process so that such a crash fails this test instead of
killing the test run. Before lifting the PySide6 cap in pyproject.toml, this test must pass on the
new release.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

EMITS = 100_000

_SCRIPT = textwrap.dedent(f"""
    import json, sys, threading
    from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

    class Source(QObject):
        bare = Signal()
        flag = Signal(bool)
        payload = Signal(object)

    class Sink(QObject):
        def __init__(self):
            super().__init__()
            self.received = 0
        def on_any(self, *args):
            self.received += 1

    app = QCoreApplication([])
    source, sink = Source(), Sink()
    for signal in (source.bare, source.flag, source.payload):
        signal.connect(sink.on_any)  # direct on the UI thread, queued from workers (as the bridge is)

    def counts():
        return [sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)]

    before = counts()
    per_kind = {EMITS} // 6
    for i in range(per_kind):  # on the UI thread
        source.bare.emit()
        source.flag.emit(i % 2 == 0)
        source.payload.emit(None)

    def worker():
        for i in range(per_kind):
            source.bare.emit()
            source.flag.emit(i % 2 == 0)
            source.payload.emit(None)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    expected = 3 * per_kind * 3
    while any(t.is_alive() for t in threads) or sink.received < expected:
        app.processEvents()  # deliver the queued emits from the workers
    after = counts()
    print(json.dumps({{"before": before, "after": after, "received": sink.received, "expected": expected}}))
""")


def test_signal_emits_keep_refcounts_of_true_false_none() -> None:
    result = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, f"the emitting process died ({result.returncode}): {result.stderr[-2000:]}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["received"] == report["expected"]
    for name, before, after in zip(("True", "False", "None"), report["before"], report["after"]):
        # Other objects may legitimately take references meanwhile; losing them is the bug.
        assert after >= before, f"refcount of {name} dropped from {before} to {after} over {report['expected']} emits"
