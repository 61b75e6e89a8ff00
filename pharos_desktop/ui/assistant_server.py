"""The window's HTTP server for assistants: `pharos-desktop mcp --http` as a child process while Settings > AI
assistants says to serve, stopped when the switch goes off or the window closes. Its one-line complaint (a port in
use) is kept from its stderr for the window to show."""

from __future__ import annotations

import subprocess
import threading

from ..engine import secrets
from ..engine.assistant_config import Http
from ..engine.errors import PharosError
from ..engine.run.child import child_env, command_line
from ..engine.workspace import Workspace

_STOP_WAIT = 5.0  # seconds the server may take to close its connections before it is killed


class AssistantServer:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._child: subprocess.Popen | None = None
        self._serving: Http | None = None
        self._last_line = ""

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.poll() is None

    @property
    def url(self) -> str:
        return self._serving.url if self._serving and self.running else ""

    def problem(self) -> str:
        """Why the server is not running though it should be ("" while it runs, or when it should not)."""
        if self._serving is None or self.running:
            return ""
        return self._last_line or f"it ended with exit code {self._child.returncode}"

    def apply(self) -> str:
        """Start, restart or stop the server as the saved settings say; "" or one line saying what went wrong."""
        settings = self.workspace.settings
        wanted = None
        if settings.mcp_http:
            try:
                wanted = Http(settings.mcp_http_port, secrets.assistant_token())
            except PharosError as exc:
                self.stop()
                return f"assistants cannot be served over HTTP: {exc}"
        if wanted == self._serving and self.running:
            return ""
        self.stop()
        if wanted is not None:
            self._start(wanted)
        return ""

    def _start(self, http: Http) -> None:
        self._last_line = ""
        self._child = subprocess.Popen([*command_line(), "mcp", "--http", "--port", str(http.port)],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       env=child_env(self.workspace.data_folder, secrets.MCP_TOKEN), text=True,
                                       encoding="utf-8", errors="replace",
                                       creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        self._serving = http
        threading.Thread(target=self._read, args=(self._child,), name="pharos-mcp-http-log", daemon=True).start()

    def _read(self, child: subprocess.Popen) -> None:
        for line in child.stderr:
            if line.strip():
                self._last_line = line.strip().removeprefix("pharos-desktop mcp: ")

    def stop(self) -> None:
        child, self._child, self._serving = self._child, None, None
        if child is None or child.poll() is not None:
            return
        child.terminate()  # uvicorn closes its connections and exits
        try:
            child.wait(_STOP_WAIT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
