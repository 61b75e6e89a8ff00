"""`pharos-desktop mcp --http`: the same tools over streamable HTTP on 127.0.0.1, to a client with the bearer token
only, and only from no Origin or the server's own (a web page's request is refused, as is a DNS-rebound Host)."""

from __future__ import annotations

import subprocess
import sys
import time

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from .mcp_support import server_env, text
from .net import free_port

pytestmark = pytest.mark.slow

TOKEN = "assistants-token-for-the-http-test-0123456789"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "test", "version": "1"}}}
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # never the developer's real keyring


def start_server(home, port: int, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pharos_desktop", "mcp", "--http", "--port", str(port)],
                            env=server_env(home, **NO_KEYRING, **env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture
def server(tmp_path):
    port = free_port()
    process = start_server(tmp_path / "home", port, PHAROS_MCP_TOKEN=TOKEN)
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, process.stderr.read()
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the HTTP server did not start"
            time.sleep(0.2)
    yield url, port
    process.terminate()
    process.wait(timeout=30)


def post(url: str, **headers: str) -> httpx.Response:
    return httpx.post(url, json=INITIALIZE, timeout=30,
                      headers={"Accept": "application/json, text/event-stream", **headers})


def test_the_token_is_required_and_then_every_tool_is_there(server):
    url, port = server
    assert post(url).status_code == 401
    refused = post(url, Authorization="Bearer not-the-token")
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert post(url, Authorization=f"Bearer {TOKEN}").status_code == 200

    async def session():
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as http:
            async with Client(streamable_http_client(url, http_client=http)) as client:
                names = {tool.name for tool in (await client.list_tools()).tools}
                assert names == {"search_code", "list_repositories", "read_code", "read_symbol", "outline",
                                 "find_related", "ingest_repository"}
                listed = await client.call_tool("list_repositories", {})
                assert text(listed) == ("no repository is indexed yet: ingest one with Pharos Desktop or "
                                        "`pharos-desktop ingest`")
                found = await client.call_tool("search_code", {"query": "anything"})
                assert found.is_error and text(found) == ("no repository is indexed yet: ingest one with Pharos "
                                                          "Desktop or `pharos-desktop ingest`")

    anyio.run(session)


def test_a_foreign_origin_or_host_is_refused_even_with_the_token(server):
    url, port = server
    bearer = f"Bearer {TOKEN}"
    foreign = post(url, Authorization=bearer, Origin="http://evil.example")
    assert foreign.status_code == 403 and foreign.text == "Invalid Origin header"
    assert post(url, Authorization=bearer, Origin=f"http://localhost:{port}").status_code == 200
    assert post(url, Authorization=bearer, Origin=f"http://127.0.0.1:{port + 1}").status_code == 403
    rebound = post(url, Authorization=bearer, Host=f"evil.example:{port}")
    assert rebound.status_code == 421


def test_a_port_in_use_or_no_place_for_the_token_is_one_line(server, tmp_path):
    _url, port = server
    taken = start_server(tmp_path / "other", port, PHAROS_MCP_TOKEN=TOKEN)
    _out, err = taken.communicate(timeout=120)
    assert taken.returncode == 1
    assert err.strip().splitlines()[-1] == (
        f"pharos-desktop mcp: port {port} on 127.0.0.1 cannot be used (Address already in use): choose another "
        "with --port, or in Settings > AI assistants")
    tokenless = start_server(tmp_path / "other", free_port())
    _out, err = tokenless.communicate(timeout=120)
    assert tokenless.returncode == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "pharos-desktop mcp: no system keyring can keep the assistants' token: set PHAROS_MCP_TOKEN to one you "
        "choose (32 characters or more)")
