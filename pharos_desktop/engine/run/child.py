"""A `pharos-desktop` command run as a child process that reports the engine's events as JSON lines: the
one protocol between the window and its children (an ingest, the cloud worker), both sides of it.

torch's import and model calls hold Python's global lock for hundreds of milliseconds at a time; in the
window's process that would freeze the UI. In a child they cannot, and a crash in native code ends the
child, not the window.

The parent (``Child``) starts the command in a session of its own (a process group on Windows), reads
its events from stdout and keeps the last lines of its stderr. It cancels the child through a channel
this code owns, the child's stdin: a "cancel" line, or the pipe closing when the parent goes away. No
console or signal is needed (the windowed build on Windows has no console to share). A child that has
not ended a while after being asked is killed, with everything it started.

The child (a command given ``--events --cancel-on-stdin``) hears that line with ``cancel_on_stdin`` and
writes its events with ``json_lines``.

A child may also serve one request after another (`watch --updates-child`, engine/live/update.py): the parent
writes each request as a line on its stdin (``Child.send``) and reads its events until that job's last one;
the child takes them with ``requests_on_stdin``, where "cancel" and the pipe closing mean what they mean above.
The parent closing the pipe while the child is idle is how it lets it go.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from ..secrets import as_environment
from .cancel import CancelToken
from .event_codec import decode, encode
from .events import Event
from .processes import kill_tree

CANCEL_LINE = "cancel"  # what the parent writes on the child's stdin to cancel it
KILL_AFTER = 30.0  # seconds a cancelled child may take to clean up (stop git, remove a temporary clone)
_STDERR_LINES = 20


def command_line() -> list[str]:
    """How to start this program's command line: the bundle's executable, or this Python with -m."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "pharos_desktop"]


def child_env(data_folder: Path, *secret_names: str) -> dict[str, str]:
    """A child command's environment: this data folder, and these secrets (see secrets.as_environment)."""
    return {**os.environ, "PHAROS_HOME": str(data_folder), **as_environment(*secret_names)}


class Child:
    """One child command, from its start to its exit code. ``cancel`` stops it (see the module's text)."""

    def __init__(self, args: list[str], env: dict[str, str], cancel: CancelToken | None = None) -> None:
        self.cancel = cancel or CancelToken()
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=env, text=True, encoding="utf-8", errors="replace",
                                        start_new_session=(os.name == "posix"),
                                        creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
        self._stderr: deque[str] = deque(maxlen=_STDERR_LINES)
        self._stdin_lock = threading.Lock()  # a request and the cancel line may be written from two threads
        # Read as it comes, beside stdout: a child that fills the stderr pipe must not stall.
        self._stderr_reader = threading.Thread(target=lambda: self._stderr.extend(self.process.stderr), daemon=True)
        self._stderr_reader.start()
        threading.Thread(target=self._stop_when_cancelled, daemon=True).start()

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def events(self) -> Iterator[Event]:
        """The child's events, as they come, until it closes its stdout (other lines are not events)."""
        for line in self.process.stdout:
            event = decode(line)
            if event is not None:
                yield event

    def wait(self) -> int:
        """Its exit code, once it has ended (and its stderr is read)."""
        code = self.process.wait()
        self._stderr_reader.join(timeout=2)
        return code

    @property
    def stderr_tail(self) -> str:
        return "".join(self._stderr)

    def send(self, line: str) -> bool:
        """Write one line on the child's stdin; False when it is gone (or its stdin already closed)."""
        with self._stdin_lock:
            try:
                self.process.stdin.write(line + "\n")
                self.process.stdin.flush()
                return True
            except (OSError, ValueError):
                return False

    def close_stdin(self) -> None:
        """No more requests: a serving child ends once what it is doing is done (it is idle when this is used)."""
        with self._stdin_lock:
            try:
                self.process.stdin.close()
            except OSError:
                pass

    def _stop_when_cancelled(self) -> None:
        while self.process.poll() is None:
            if self.cancel.wait(0.05):
                break
        else:
            return
        self.send(CANCEL_LINE)  # False: it is already ending
        deadline = time.monotonic() + KILL_AFTER
        while self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.process.poll() is None:
            kill_tree(self.process)


# -- the child's side -----------------------------------------------------------------------------------

def cancel_on_stdin(cancel: CancelToken) -> None:
    """Cancel on a "cancel" line, or when stdin closes because the parent is gone (so no orphaned child keeps
    writing while a new window offers to resume the same job). Watches from a thread of its own."""

    def watch() -> None:
        for line in sys.stdin:
            if line.strip() == CANCEL_LINE:
                break
        cancel.cancel()

    threading.Thread(target=watch, name="pharos-cancel-watch", daemon=True).start()


def requests_on_stdin(cancel: CancelToken) -> Iterator[str]:
    """A serving child's requests, one line each, in order, as they come, until a "cancel" line or stdin closing
    (the parent is gone, or lets the child go), which also sets ``cancel`` (as ``cancel_on_stdin``). Stdin is
    read on a thread of its own, so that a cancel is heard while a request runs."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in sys.stdin:
            if line.strip() == CANCEL_LINE:
                break
            lines.put(line)
        cancel.cancel()
        lines.put(None)

    threading.Thread(target=read, name="pharos-requests", daemon=True).start()
    while (line := lines.get()) is not None and not cancel.cancelled:
        yield line


_stdout_lock = threading.Lock()


def json_lines(event: Event) -> None:
    """Write one event on stdout as a JSON line, whole, from any thread (an ingest's stages report from several)."""
    line = encode(event) + "\n"
    with _stdout_lock:
        sys.stdout.write(line)
        sys.stdout.flush()
