"""`pharos-desktop mcp --http`: the same server over streamable HTTP, on 127.0.0.1 only, for an assistant that
connects rather than starts it (the window serves it so while Settings > AI assistants says to).

Every request must carry the bearer token (kept in the keyring, shown in Settings), checked by the SDK's own bearer
middleware; and the SDK's transport security refuses a Host or an Origin other than this server's own, so that a
web page the user visits can neither reach it by DNS rebinding nor send it a request of its own.
"""

from __future__ import annotations

import hmac
import os
import socket
import sys

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings

from ..engine.assistant_config import HTTP_PATH, Http
from ..engine.errors import ConfigError
from ..engine.secrets import assistant_token
from . import server as mcp_server
from .view import ServedIndex

HOST = "127.0.0.1"


class _BearerToken:
    """The SDK's TokenVerifier for the one token this install has."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._token):
            return AccessToken(token="", client_id="assistant", scopes=[])
        return None


def serve(served: ServedIndex, port: int) -> None:
    """Serve until stopped (Ctrl-C, SIGTERM). Raises ConfigError when the port cannot be had or no token kept."""
    import uvicorn

    http = Http(port, assistant_token())
    listener = _listen(port)
    server = mcp_server.build(served, token_verifier=_BearerToken(http.token),
                              auth=AuthSettings(issuer_url=f"http://{HOST}:{port}", resource_server_url=None))
    own = [f"{HOST}:{port}", f"localhost:{port}"]
    app = server.streamable_http_app(
        streamable_http_path=HTTP_PATH, host=HOST,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=own,
                                                     allowed_origins=[f"http://{name}" for name in own]))
    print(f"pharos-desktop: serving the index to assistants at {http.url} (the token: Settings > AI assistants)",
          file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on")).run(sockets=[listener])


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name == "posix":  # a port in TIME_WAIT after a restart; on Windows the option would let others share it
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((HOST, port))
    except OSError as exc:
        listener.close()
        raise ConfigError(f"port {port} on {HOST} cannot be used ({exc.strerror}): choose another with --port, or "
                          "in Settings > AI assistants") from exc
    return listener
