"""Settings > AI assistants: each copy button copies the exact configuration for this install (the environment's
Python, this data folder), the switches are saved, the token lives in the keyring only (shown as its mask), and the
window serves assistants over HTTP while the switch is on, with the token, and stops when it closes."""

from __future__ import annotations

import json
import sys
import time

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from pharos_desktop.engine import secrets
from pharos_desktop.engine.assistant_config import claude_code

from .mcp_support import server_processes
from .net import free_port
from .ui_support import close_window


def copied(qtbot, dialog, assistant: str) -> str:
    qtbot.mouseClick(dialog.assistants.copy_buttons[assistant], Qt.MouseButton.LeftButton)
    return QGuiApplication.clipboard().text()


def answers(url: str) -> int | None:
    try:
        return httpx.post(url, json={}, timeout=2).status_code
    except httpx.TransportError:
        return None


def test_copy_buttons_give_this_installs_configuration(qtbot, window, pharos_home):
    dialog = window.open_settings()
    dialog.tabs.setCurrentWidget(dialog.assistants)
    home = str(window.workspace.data_folder)
    assert copied(qtbot, dialog, "Claude Code") == claude_code(window.workspace.data_folder).text
    assert copied(qtbot, dialog, "Claude Code").startswith("claude mcp add-json --scope user pharos '")
    cursor = json.loads(copied(qtbot, dialog, "Cursor"))["mcpServers"]["pharos"]
    assert cursor == {"command": sys.executable, "args": ["-m", "pharos_desktop", "mcp"], "env": {"PHAROS_HOME": home}}
    vscode = json.loads(copied(qtbot, dialog, "VS Code"))["servers"]["pharos"]
    assert vscode == {"type": "stdio", **cursor}
    assert not dialog.assistants.allow_ingest.isChecked() and not dialog.assistants.http.isChecked()
    dialog.reject()


@pytest.mark.slow
def test_the_http_switch_serves_with_a_token_kept_in_the_keyring(qtbot, window, pharos_home, memory_keyring, tmp_path):
    port = free_port()
    dialog = window.open_settings()
    page = dialog.assistants
    page.allow_ingest.setChecked(True)
    page.port.setValue(port)
    page.http.setChecked(True)
    token = memory_keyring.store[(secrets.SERVICE, secrets.MCP_TOKEN)]
    assert len(token) >= 40 and page.token.text() == secrets.mask(token)
    for view in page.snippet_views.values():  # on screen: the mask only
        assert token not in view.toPlainText()
    claude = copied(qtbot, dialog, "Claude Code")
    assert json.loads(claude.split("pharos ", 1)[1].strip("'")) == {
        "type": "http", "url": f"http://127.0.0.1:{port}/mcp", "headers": {"Authorization": f"Bearer {token}"}}
    assert json.loads(copied(qtbot, dialog, "VS Code"))["servers"]["pharos"]["headers"] == {
        "Authorization": "Bearer ${input:pharos-token}"}
    dialog.save()
    stored = json.loads((pharos_home / "settings.json").read_text())
    assert stored["mcp_allow_ingest"] and stored["mcp_http"] and stored["mcp_http_port"] == port
    assert not [p for p in pharos_home.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]

    url = f"http://127.0.0.1:{port}/mcp"
    qtbot.waitUntil(lambda: answers(url) is not None, timeout=120_000)
    assert answers(url) == 401  # no token, no answer
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "t", "version": "1"}}}
    assert httpx.post(url, json=initialize, headers=headers, timeout=30).status_code == 200
    (served,) = server_processes()  # it serves the window's data folder, not one of its own
    assert served.environ()["PHAROS_HOME"] == str(pharos_home)
    close_window(qtbot, window)
    deadline = time.monotonic() + 30
    while answers(url) is not None:
        assert time.monotonic() < deadline, "the window's HTTP server outlived the window"
        time.sleep(0.2)
