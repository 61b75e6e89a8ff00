"""What an AI assistant needs to reach this install's MCP server (`pharos-desktop mcp`): the exact command or JSON,
as Settings > AI assistants copies it and the README shows it. Each follows its assistant's documented format:

- Claude Code: ``claude mcp add-json [--scope user] NAME JSON``, the JSON ``{"type": "stdio", "command", "args", "env"}``
  or ``{"type": "http", "url", "headers"}`` (code.claude.com/docs/en/mcp);
- Cursor: ``{"mcpServers": {NAME: {"command", "args", "env"} | {"url", "headers"}}}`` in ~/.cursor/mcp.json
  (cursor.com/docs/mcp);
- VS Code: ``{"servers": {NAME: {"type": "stdio", "command", "args", "env"} | {"type": "http", "url", "headers"}}}``
  in .vscode/mcp.json or the user profile's mcp.json, a secret as ``${input:ID}`` that VS Code asks for once and
  keeps in its own secret storage (code.visualstudio.com/docs/copilot/reference/mcp-configuration).

Over stdio the assistant starts the server itself, with this data folder; over HTTP it reaches the one the window
serves on 127.0.0.1 and sends the token.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .run.child import command_line

NAME = "pharos"
HTTP_PATH = "/mcp"
TOKEN_INPUT = "pharos-token"


@dataclass(frozen=True)
class Http:
    port: int
    token: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HTTP_PATH}"


@dataclass(frozen=True)
class Snippet:
    assistant: str
    where: str  # what to do with the text, in a few words
    text: str


def server_command() -> list[str]:
    """How an assistant starts the server: the bundle's console executable, or this environment's Python."""
    command = command_line()
    if getattr(sys, "frozen", False) and sys.platform == "win32":
        # PharosDesktop.exe is the windowed program; stdio needs the console one beside it (build.spec)
        command = [str(Path(sys.executable).with_name("pharos-desktop.exe"))]
    return [*command, "mcp"]


def snippets(data_folder: Path, http: Http | None = None) -> list[Snippet]:
    return [claude_code(data_folder, http), cursor(data_folder, http), vscode(data_folder, http)]


def claude_code(data_folder: Path, http: Http | None = None) -> Snippet:
    # add-json rather than add: add's --env takes several values and could swallow the server's name
    server = {"type": "http", "url": http.url, "headers": _bearer(http.token)} if http else \
        {"type": "stdio", **_stdio(data_folder)}
    args = ["claude", "mcp", "add-json", "--scope", "user", NAME, json.dumps(server)]
    return Snippet("Claude Code", "run it in a terminal", _shell(args))


def cursor(data_folder: Path, http: Http | None = None) -> Snippet:
    server = {"url": http.url, "headers": _bearer(http.token)} if http else _stdio(data_folder)
    return Snippet("Cursor", "merge it into ~/.cursor/mcp.json (kept out of your projects)",
                   _json({"mcpServers": {NAME: server}}))


def vscode(data_folder: Path, http: Http | None = None) -> Snippet:
    if http:
        config = {"inputs": [{"type": "promptString", "id": TOKEN_INPUT, "password": True,
                              "description": "Pharos Desktop's token for assistants (Settings > AI assistants)"}],
                  "servers": {NAME: {"type": "http", "url": http.url,
                                     "headers": _bearer(f"${{input:{TOKEN_INPUT}}}")}}}
    else:
        config = {"servers": {NAME: {"type": "stdio", **_stdio(data_folder)}}}
    return Snippet("VS Code", "merge it into .vscode/mcp.json, or run MCP: Open User Configuration", _json(config))


def _stdio(data_folder: Path) -> dict:
    command, *args = server_command()
    return {"command": command, "args": args, "env": {"PHAROS_HOME": str(data_folder)}}


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _json(value: dict) -> str:
    return json.dumps(value, indent=2)


def _shell(args: list[str]) -> str:
    return subprocess.list2cmdline(args) if os.name == "nt" else shlex.join(args)
