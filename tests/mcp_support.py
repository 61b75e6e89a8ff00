"""Helpers for the assistants' server tests (tests/test_mcp_*.py): the SDK's own client on a real
`python -m pharos_desktop mcp` process, over stdio or HTTP, with its own data folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
from mcp import Client
from mcp.client.stdio import StdioServerParameters


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment (PYTHONPATH, the shared model cache) without other Pharos settings, the data folder at home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHAROS_") or k == "PHAROS_MODEL_CACHE"}
    env.update(PHAROS_HOME=str(home), **extra)
    return env


def stdio_client(home: Path, **extra: str) -> Client:
    """An MCP client that starts `pharos-desktop mcp` on stdio, as an assistant does."""
    return Client(StdioServerParameters(command=sys.executable, args=["-m", "pharos_desktop", "mcp"],
                                        env=server_env(home, **extra)))


def text(result) -> str:
    return "\n".join(block.text for block in result.content)


def server_processes() -> list[psutil.Process]:
    """The `pharos_desktop mcp` processes this test started (other children may end, or be zombies, meanwhile)."""
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            cmdline = process.cmdline()
        except psutil.Error:
            continue
        if "mcp" in cmdline and "pharos_desktop" in cmdline:
            found.append(process)
    return found


def ingest_children(marker: str) -> list[psutil.Process]:
    """Live `pharos_desktop ingest` processes whose command line names ``marker`` (a source path)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if "ingest" in cmdline and any(marker in part for part in cmdline) \
                and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found
