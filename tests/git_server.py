"""A real smart-HTTP git server for tests: `git http-backend` behind Python's http.server, over plain
http or https (a throwaway certificate for 127.0.0.1 and 127.0.0.2), that logs every Authorization
header it receives, can demand a token, and can redirect every request to another server."""

from __future__ import annotations

import base64
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate valid for 127.0.0.1 and 127.0.0.2 (git trusts it via GIT_SSL_CAINFO)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,IP:127.0.0.2", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class GitServer:
    """Serves the bare repositories under ``root``. ``token``: demand Basic auth with that password.
    ``redirect_to``: answer every request with a 302 to the same path on that base URL.
    ``delay``: hold the first request that long (a slow server)."""

    def __init__(self, root: Path | None, *, token: str = "", host: str = "127.0.0.1",
                 tls: tuple[Path, Path] | None = None, redirect_to: str = "", delay: float = 0) -> None:
        self.seen: list[str] = []  # the Authorization header of every request, "" when none
        self.paths: list[str] = []
        self.delay = delay
        handler = _handler(self, root, token, redirect_to)
        self.httpd = ThreadingHTTPServer((host, 0), handler)
        self.httpd.daemon_threads = True
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def credentials(self) -> list[str]:
        return [auth for auth in self.seen if auth]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _handler(server: GitServer, root: Path | None, token: str, redirect_to: str):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _reply(self, status: int, headers: dict[str, str], payload: bytes = b"") -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _serve(self) -> None:
            auth = self.headers.get("Authorization", "")
            server.seen.append(auth)
            server.paths.append(self.path)
            if server.delay:
                delay, server.delay = server.delay, 0
                time.sleep(delay)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if redirect_to:
                self._reply(302, {"Location": redirect_to + self.path})
                return
            password = base64.b64decode(auth[6:]).decode().split(":", 1)[-1] if auth.startswith("Basic ") else ""
            if token and password != token:
                self._reply(401, {"WWW-Authenticate": 'Basic realm="pharos-test"'})
                return
            path, _, query = self.path.partition("?")
            env = {"GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": path,
                   "QUERY_STRING": query, "REQUEST_METHOD": self.command, "REMOTE_USER": "tester",
                   "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                   "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                   "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""), "PATH": "/usr/bin:/bin:/usr/local/bin"}
            out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
            head_part, _, payload = out.partition(b"\r\n\r\n")
            headers = dict(line.split(": ", 1) for line in head_part.decode().split("\r\n") if ": " in line)
            status = int(headers.pop("Status", "200").split()[0])
            self._reply(status, headers, payload)

        do_GET = do_POST = _serve

    return Handler
