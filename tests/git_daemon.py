"""`git daemon` serving bare repositories over git:// on 127.0.0.1 (the cloud's ingest route accepts git://,
not file://), and a TCP proxy that can be taken down and brought back (a queue that goes away)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path

from tests.net import free_port


class GitDaemon:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", f"--port={self.port}",
             f"--base-path={root}", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("git daemon did not start")

    def publish(self, work_tree: Path, name: str) -> str:
        """A bare copy of ``work_tree`` served as git://127.0.0.1:PORT/NAME.git."""
        subprocess.run(["git", "clone", "--quiet", "--bare", str(work_tree), str(self.root / f"{name}.git")],
                       check=True)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}.git"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class TcpProxy:
    """127.0.0.1:port -> target. ``down()`` closes the listener and every connection; ``up()`` reopens."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            for sock in [self._listener, *self._sockets]:
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    sock.close()
            self._sockets.clear()
            self._listener = None

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass
