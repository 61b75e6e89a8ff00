"""The resident search process (`python -m pharos_desktop search-resident`, started by resident.start): one per data
folder, it keeps the searcher warm (the query model loaded, the vector index open) and answers the command line's
searches over the socket that resident.py describes, as a fresh process would answer them.

- Fresh answers: the catalog and keyword index are read per request, and the vector index is opened again when
  the catalog's chunks or the vector store changed (Workspace.search_vectors keys it on both).
- It ends when it no longer fits: the data folder's settings (file or environment) changed, the client runs
  other code, the catalog file was replaced (doctor --repair), the data folder went away. It then refuses the
  request, and the command searches in its own process and starts a new resident.
- It ends after IDLE_SECONDS without a search, giving back the memory of the model and index.
- Every request is hostile input until checked: the key first (multiprocessing's HMAC challenge), then a bounded
  size, then JSON (never pickle), then each field (answer.parse_request). A bad one gets one error line; a client
  that stalls is cut off after HANDSHAKE_SECONDS; neither stops the others being served.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import asdict
from multiprocessing.connection import Listener, answer_challenge, deliver_challenge
from pathlib import Path

from filelock import FileLock, Timeout

from . import resident
from ..errors import PharosError
from ..settings import Settings, data_folder as default_data_folder

log = logging.getLogger(__name__)

# Ten quiet minutes: searches come in bursts (a person at work, an assistant's session); after that the memory
# (the model, the open index: some hundreds of MB at a million chunks) goes back. PHAROS_RESIDENT_IDLE overrides it.
IDLE_SECONDS = 600.0
IDLE_ENV = "PHAROS_RESIDENT_IDLE"
HANDSHAKE_SECONDS = 10.0  # for the key, the request and sending the reply; not for the search itself
MAX_CONNECTIONS = 8  # open at once; more are closed unanswered (their commands search in their own process)
LOCK_WAIT_SECONDS = 10.0
_TICK = 0.5


class Server:
    def __init__(self, data_folder: Path) -> None:
        from ..workspace import Workspace
        from .search import Searcher

        self.data_folder = data_folder
        self.workspace = Workspace(data_folder)
        self.searcher = Searcher(self.workspace)
        self.settings = asdict(self.workspace.settings)
        self.environment = resident.environment()
        self.version = resident.code_stamp()
        self.catalog_file = _file_id(self.workspace.catalog.path)
        self.idle_seconds = float(os.environ.get(IDLE_ENV) or IDLE_SECONDS)
        self.searching = threading.Lock()  # one search at a time; the others wait their turn
        self.last_used = time.monotonic()
        self.stale = ""  # why it must end, once it must
        self._open: dict[object, float] = {}  # connection -> the time it must be done by
        self._open_lock = threading.Lock()
        self._notices: list[str] = []
        self._socket_file: tuple | None = None

    def warm_up(self) -> None:
        began = time.perf_counter()
        self.searcher.warm_up()
        log.info("the resident search process of %s is ready in %.1f s", self.data_folder, time.perf_counter() - began)

    def serve(self, key: bytes) -> None:
        where, family = resident.address(self.data_folder)
        if family == "AF_UNIX":
            Path(where).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            Path(where).unlink(missing_ok=True)  # left by a resident that was killed (this one holds the lock)
        # no authkey here: accept must not wait on a client (_handle checks the key)
        listener = Listener(where, family, backlog=MAX_CONNECTIONS)
        if family == "AF_UNIX":
            self._socket_file = _file_id(Path(where))
        _show_store_notices(self._notices)
        threading.Thread(target=self._watch, name="pharos-resident-watch", daemon=True).start()
        while True:
            conn = listener.accept()
            with self._open_lock:
                if len(self._open) >= MAX_CONNECTIONS:
                    conn.close()
                    continue
                self._open[conn] = time.monotonic() + HANDSHAKE_SECONDS
            threading.Thread(target=self._handle, args=(conn, key), daemon=True).start()

    def _handle(self, conn, key: bytes) -> None:
        try:
            deliver_challenge(conn, key)
            answer_challenge(conn, key)
            try:
                raw = conn.recv_bytes(resident.MAX_REQUEST)
            except OSError:  # longer: left unread, and multiprocessing lets nothing more be sent on it
                log.warning("refused a resident search request longer than %d bytes", resident.MAX_REQUEST)
                return
            self._deadline(conn, float("inf"))
            with self.searching:
                began = time.perf_counter()
                reply = self.reply(raw)
                self.last_used = time.monotonic()
            log.info("resident search: %s in %.0f ms", "answered" if "stdout" in reply else next(iter(reply), "?"),
                     1000 * (time.perf_counter() - began))
            self._deadline(conn, time.monotonic() + HANDSHAKE_SECONDS)
            conn.send_bytes(_encode(reply))
        except Exception:  # noqa: BLE001 - a client that fails the key, hangs up or was cut off: the next one
            log.debug("a resident search connection ended early", exc_info=True)
        finally:
            with self._open_lock:
                self._open.pop(conn, None)
                conn.close()
            if self.stale:
                self._end(self.stale)

    def reply(self, raw: bytes) -> dict:
        """The reply to one request's bytes (see resident.py)."""
        from .answer import answer, parse_request

        try:
            message = json.loads(raw)
        except (ValueError, RecursionError):  # (nested deeper than the parser's stack)
            return {"error": "the request is not JSON"}
        if not isinstance(message, dict):
            return {"error": "the request must be a JSON object"}
        self.stale = self.stale or self._why_stale(message)
        if self.stale:
            return {"refused": self.stale}
        try:
            search = parse_request(message.get("search"))
        except ValueError as exc:
            return {"error": f"bad search: {exc}"}
        if not self.workspace.catalog.repo_names():
            return {"fallback": "the catalog holds no repository"}  # the command says why (catalog_repair)
        del self._notices[:]
        try:
            text, warning = answer(self.searcher, search)
        except PharosError as exc:
            return {"fallback": str(exc)}
        except Exception as exc:  # noqa: BLE001 - logged; the command searches itself and reports it its way
            log.exception("the resident search failed")
            return {"fallback": f"the resident search failed: {exc}"}
        return {"stdout": text, "stderr": [*self._notices, *([f"warning: {warning}"] if warning else [])]}

    def _why_stale(self, message: dict) -> str:
        if message.get("version") != self.version:
            return "the client runs other code"
        if message.get("env") != self.environment:
            return "the client's environment sets other settings"
        try:
            if asdict(Settings.load()) != self.settings:
                return "the settings changed"
        except PharosError:
            return "the settings file cannot be read"
        if _file_id(self.workspace.catalog.path) != self.catalog_file:
            return "the catalog file was replaced"
        return ""

    def _deadline(self, conn, when: float) -> None:
        with self._open_lock:
            if conn in self._open:
                self._open[conn] = when

    def _watch(self) -> None:
        """Cut off clients that stall; end when idle, or when the data folder or the socket went away."""
        while True:
            time.sleep(_TICK)
            now = time.monotonic()
            with self._open_lock:
                for conn, deadline in self._open.items():
                    if now > deadline:
                        _cut(conn)
                busy = bool(self._open)
            gone = not self.data_folder.is_dir() or (
                self._socket_file is not None and _file_id(Path(resident.address(self.data_folder)[0])) !=
                self._socket_file)
            if gone:
                self._end("its data folder or socket went away")
            if not busy and now - self.last_used > self.idle_seconds and self.searching.acquire(False):
                self._end(f"no search in {self.idle_seconds:.0f} s")

    def _end(self, why: str) -> None:
        log.info("the resident search process ends: %s", why)
        if self._socket_file is not None:
            where = Path(resident.address(self.data_folder)[0])
            if _file_id(where) == self._socket_file:
                where.unlink(missing_ok=True)
        logging.shutdown()
        os._exit(0)  # the accept loop on the main thread cannot be woken; the lock goes with the process


def _cut(conn) -> None:
    """Wake a thread blocked reading ``conn``: it then reads the end of the stream. (A Windows pipe cannot be
    shut from another thread; there MAX_CONNECTIONS bounds what stalled clients hold.)"""
    if os.name != "posix":
        return
    try:
        with socket.socket(fileno=os.dup(conn.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _file_id(path: Path) -> tuple | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _encode(reply: dict) -> bytes:
    return json.dumps(reply).encode()


def _show_store_notices(into: list[str]) -> None:
    """The stores' warnings during a search (a rebuild after an update) reach the command's stderr, as they do
    when it searches itself (cli._show_store_notices)."""

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            into.append(self.format(record))

    handler = Collect(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("pharos_desktop.engine.index").addHandler(handler)


def _write_key(path: Path) -> bytes:
    key = secrets.token_bytes(32)
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    os.replace(temporary, path)
    return key


def _write_pid(path: Path) -> None:
    """For the commands to see whether this process is stopped while they wait (resident._stopped)."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    temporary.write_text(str(os.getpid()))
    os.replace(temporary, path)


def main() -> int:
    from ..logs import setup_logging

    os.umask(0o077)  # the socket, key, lock and pid: the user's only
    data_folder = default_data_folder()
    home = resident.folder(data_folder)
    home.mkdir(mode=0o700, exist_ok=True)
    home.chmod(0o700)  # (made by an older copy, or by hand, it may let others in)
    lock = FileLock(home / "lock")
    try:
        # (a while: one that refused a search for other settings is ending, and this one replaces it)
        lock.acquire(timeout=LOCK_WAIT_SECONDS)
    except Timeout:
        return 0  # another resident serves this data folder
    _write_pid(home / "pid")
    server = Server(data_folder)
    setup_logging(server.workspace.logs_dir)
    try:
        server.warm_up()
        key = _write_key(home / "key")
        server.serve(key)
    except Exception:  # noqa: BLE001 - the commands search in their own process; the log says why
        log.exception("the resident search process stopped")
        return 1
    return 0
