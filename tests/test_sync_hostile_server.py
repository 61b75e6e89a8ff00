"""A cloud URL that points somewhere hostile or broken: redirects are never followed (the token and the data
stay put), a server that trickles bytes cannot hang a request past its deadline, and a huge error body is
not read into memory. Real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pharos_desktop.engine.errors import CloudError
from pharos_desktop.engine.run.events import JobFailed
from pharos_desktop.engine.sync import syncer as syncer_module
from pharos_desktop.engine.sync.client import CloudClient, NotPharos, RequestFailed, Unreachable
from tests.sync_support import TOKEN, make_syncer, run_sync


class _Server:
    """A tiny real HTTP server whose handler is a plain function of the request handler."""

    def __init__(self, respond) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (method, path, Authorization)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                outer.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                try:
                    respond(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    made: list[_Server] = []

    def make(respond) -> _Server:
        made.append(_Server(respond))
        return made[-1]

    yield make
    for server in made:
        server.stop()


def _one_request(url: str, path: str, **client_options) -> None:
    """One request through the sync's client, as a sync would send it."""
    async def run() -> None:
        client = CloudClient(url, TOKEN, **client_options)
        try:
            await client.request("GET", path)
        finally:
            await client.aclose()

    asyncio.run(run())


def _json(handler, status: int, body: bytes = b'{"detail": "x"}') -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_a_redirect_is_an_error_naming_where_it_pointed_and_nothing_goes_there(index, servers):
    elsewhere = servers(lambda h: _json(h, 200, b'{"items": [], "total": 0}'))

    def redirect(handler) -> None:
        handler.send_response(307)
        handler.send_header("Location", elsewhere.url + handler.path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    cloud = servers(redirect)
    with pytest.raises(CloudError, match=f"the server redirected to {elsewhere.url}/api/resources.*check the API URL"):
        run_sync(make_syncer(index, cloud.url))
    assert cloud.seen and elsewhere.seen == []  # not one create, update or chunk went to the other host

    report = asyncio.run(make_syncer(index, cloud.url).test_connection())
    assert report.status == "not_pharos" and f"redirected to {elsewhere.url}/health" in report.message
    assert elsewhere.seen == []


def test_a_trickling_server_cannot_hang_a_request_past_its_deadline(servers):
    stop = threading.Event()

    def trickle(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        while not stop.is_set():  # one byte every 0.3 s: no single read ever times out
            handler.wfile.write(b" ")
            handler.wfile.flush()
            stop.wait(0.3)

    server = servers(trickle)

    started = time.monotonic()
    try:
        with pytest.raises(Unreachable, match="TimeoutError"):
            _one_request(server.url, "/api/resources", retries=1, backoff_base=0.01, attempt_deadline=1.0)
    finally:
        stop.set()
    assert time.monotonic() - started < 10  # two attempts of 1 s each, plus backoff


def test_a_huge_error_body_is_not_read(servers):
    sent = {"bytes": 0}
    size = 300 * 1024 * 1024

    def huge(handler) -> None:
        handler.send_response(500)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        block = b'{"detail": "' + b"x" * 65536
        while sent["bytes"] < size:
            handler.wfile.write(block)
            sent["bytes"] += len(block)

    server = servers(huge)

    with pytest.raises(RequestFailed, match="HTTP 500"):
        _one_request(server.url, "/api/resources/abc", retries=0)
    time.sleep(0.5)  # the server notices the closed connection
    # The client hung up after its cap; what the server got out is that plus the sockets' buffers.
    assert sent["bytes"] < 32 * 1024 * 1024


def test_a_huge_success_body_is_refused(servers):
    def huge(handler) -> None:
        size = 64 * 1024 * 1024
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        block = b" " * 65536
        for _ in range(size // len(block)):
            handler.wfile.write(block)

    server = servers(huge)

    with pytest.raises(NotPharos, match="answer over 32 MB"):
        _one_request(server.url, "/api/resources", retries=0)


def test_a_listing_that_never_ends_fails_the_sync_after_a_few_requests(index, servers):
    items = [{"id": f"00000000-0000-0000-0000-00000000000{n}", "url": f"https://github.com/acme/demo/blob/main/x{n}.py",
              "type": "code_file"} for n in range(3)]
    same_page = json.dumps({"items": items, "total": 10**12}).encode()

    def endless(handler) -> None:
        # The same page every time. Past 50 requests, an empty page, so that a client that keeps paging fails
        # this test instead of hanging it.
        _json(handler, 200, same_page if len(cloud.seen) <= 50 else b'{"items": [], "total": 0}')

    cloud = servers(endless)
    events: list = []
    line = (f"the resource listing from {cloud.url} did not end (a page repeated what was already listed): "
            "nothing was changed; check the API URL in Settings")
    with pytest.raises(CloudError) as raised:
        run_sync(make_syncer(index, cloud.url), events=events)
    assert str(raised.value) == line
    assert [event.message for event in events if isinstance(event, JobFailed)] == [line]
    assert [(method, path.split("?")[0]) for method, path, _ in cloud.seen] == [("GET", "/api/resources")] * 2


def test_a_listing_longer_than_any_account_fails_the_sync(index, servers, monkeypatch):
    monkeypatch.setattr(syncer_module, "MAX_PAGES", 4)  # the real ceiling is a million resources

    def ever_new(handler) -> None:  # every page holds resources never seen before
        n = len(cloud.seen)
        _json(handler, 200, json.dumps({"items": [{"id": f"id-{n}", "url": f"https://example.com/{n}.py"}],
                                        "total": 10**12}).encode())

    cloud = servers(ever_new)
    with pytest.raises(CloudError, match=f"^the resource listing from {cloud.url} did not end "
                                         r"\(it went past 400 resources\): nothing was changed"):
        run_sync(make_syncer(index, cloud.url))
    assert len(cloud.seen) == 4
