"""The resident search process, the command line's side: ask it, or start it.

A fresh `pharos-desktop search` spends about 0.3 s of CPU starting (the interpreter, numpy, the catalog, the
query model) before it searches. The resident search process (resident_server.py) pays that once and then answers
searches of one data folder for as long as they keep coming. The command asks it first and, when none answers,
searches in its own process as before and then starts one for the next searches.

So that asking costs little, this module imports almost nothing: no numpy, no searcher, no catalog.

The protocol: ``multiprocessing.connection`` over a Unix socket (a named pipe on Windows), each side proving it
holds the key in ``resident/key`` (readable by the user only) before anything else is read. Then ONE request and
ONE reply, each a JSON object sent with send_bytes: never pickle, which would run what another process sent.
The request: {"version": code_stamp(), "env": environment(), "search": answer.request(...)}. The reply, one of:
- {"stdout": text, "stderr": [lines]}: print them, the search is done;
- {"refused": why}: the resident no longer fits this data folder (other settings, other code, another catalog
  file) and is ending: search here, and start a new one;
- {"fallback": why}: search here (an error such as an unknown repository, which this process then reports in
  its own words);
- {"error": why}: the request was malformed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from multiprocessing.connection import AuthenticationError, Client, answer_challenge, deliver_challenge
from pathlib import Path

from ... import __version__
from ..settings import ENV_OVERRIDES

DISABLE_ENV = "PHAROS_NO_RESIDENT"  # set (not empty): every search runs in its own process and starts none
MAX_REQUEST = 64 * 1024  # bytes; the resident refuses a longer request unread (a query that long searches here)
MAX_REPLY = 64 * 1024 * 1024
HANDSHAKE_SECONDS = 10.0  # a resident that does not greet within this is wedged: search here
# A search that the resident has not answered in this long is searched here instead. Generous: its first search
# after a large ingest brings the vector index up to date, which this process would have to do as well.
ANSWER_SECONDS = 300.0
# While it waits, the command looks this often whether the resident is stopped (SIGSTOP, Ctrl-Z in its terminal, a
# debugger): stopped, it answers nobody until continued, so the command searches here at once instead.
CHECK_SECONDS = 0.25
_UNIX_PATH_MAX = 100  # sun_path holds 104 (macOS) to 108 (Linux) bytes


def disabled() -> bool:
    return bool(os.environ.get(DISABLE_ENV))


def folder(data_folder: Path) -> Path:
    """Where the resident keeps its socket, key, lock and pid: readable by the user only."""
    return Path(data_folder) / "resident"


def address(data_folder: Path) -> tuple[str, str]:
    """(address, family) the resident of ``data_folder`` listens on."""
    if os.name == "nt":
        return rf"\\.\pipe\pharos-resident-{_digest(str(data_folder))}", "AF_PIPE"
    path = folder(data_folder) / "socket"
    if len(os.fsencode(str(path))) > _UNIX_PATH_MAX:  # a deep data folder: a short path beside the others
        import tempfile

        path = Path(tempfile.gettempdir()) / f"pharos-{os.getuid()}" / f"resident-{_digest(str(data_folder))}"
    return str(path), "AF_UNIX"


def code_stamp() -> str:
    """Which code answers: a resident started before the code changed (an update, an edited checkout) must not."""
    package = Path(__file__).resolve().parents[2]
    if getattr(sys, "frozen", False):
        return f"{__version__} {sys.executable}"
    newest = 0
    for root, _dirs, names in os.walk(package):
        for name in names:
            if name.endswith(".py"):
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime_ns)
    return f"{__version__} {package} {newest}"


def environment() -> dict[str, str]:
    """The environment variables that change settings (settings.ENV_OVERRIDES): a resident serves only a client
    whose environment says the same."""
    return {name: os.environ[name] for name in sorted(ENV_OVERRIDES) if name in os.environ}


def ask(data_folder: Path, search: dict) -> dict | None:
    """The resident's reply to ``search`` (see the module's text), or None when none answered: none is running,
    its socket is left from one that was killed, it holds another key, it is wedged."""
    message = json.dumps({"version": code_stamp(), "env": environment(), "search": search}).encode()
    if len(message) > MAX_REQUEST:
        return None
    try:
        key = (folder(data_folder) / "key").read_bytes()
        where, family = address(data_folder)
        with Client(where, family) as conn:
            # the handshake that Client(authkey=...) makes, but not waiting for ever on a resident that never greets
            if not _wait(conn, HANDSHAKE_SECONDS, data_folder):
                return None
            answer_challenge(conn, key)
            deliver_challenge(conn, key)
            conn.send_bytes(message)
            if not _wait(conn, ANSWER_SECONDS, data_folder):
                return None
            reply = json.loads(conn.recv_bytes(MAX_REPLY))
    except (OSError, EOFError, ValueError, AuthenticationError):
        return None
    return reply if isinstance(reply, dict) else None


def _wait(conn, seconds: float, data_folder: Path) -> bool:
    """``conn.poll(seconds)``, given up as soon as the resident is seen stopped."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if conn.poll(max(0.0, min(left, CHECK_SECONDS))):
            return True
        if left <= CHECK_SECONDS or _stopped(data_folder):
            return False


def _stopped(data_folder: Path) -> bool:
    """Whether the process named in ``resident/pid`` is stopped. Read only when an answer is late, so that asking
    in time imports nothing more."""
    try:
        pid = int((folder(data_folder) / "pid").read_text())
        import psutil

        return psutil.Process(pid).status() in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP)
    except Exception:  # noqa: BLE001 - gone, unreadable, no psutil: not seen stopped
        return False


def request(query: str, *, limit: int = 10, repos: list[str] | None = None, languages: list[str] | None = None,
            kinds: list[str] | None = None, path: str | None = None, mode: str = "hybrid", explain: bool = False,
            json: bool = False) -> dict:
    """A search request (the command line's options), as it crosses to the resident; answer.parse_request checks it."""
    return {"query": query, "limit": limit, "repos": repos, "languages": languages, "kinds": kinds, "path": path,
            "mode": mode, "explain": explain, "json": json}


def printable(reply: dict) -> tuple[str, list[str]] | None:
    """(stdout, stderr lines) of a reply that answered the search, else None."""
    out, err = reply.get("stdout"), reply.get("stderr")
    if isinstance(out, str) and isinstance(err, list) and all(isinstance(line, str) for line in err):
        return out, err
    return None


def start(data_folder: Path) -> None:
    """Start a resident for ``data_folder`` in the background, detached from this command (its own session, no
    terminal): it outlives the command. One that finds another already serving the folder ends at once."""
    from ..run.child import command_line

    flags = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    try:
        subprocess.Popen([*command_line(), "search-resident"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env={**os.environ, "PHAROS_HOME": str(data_folder)},
                         start_new_session=os.name == "posix", creationflags=flags, cwd=str(data_folder))
    except OSError:
        pass  # the next search runs here too, and tries again


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]
