"""Tokens live in the OS keyring only; never in settings.json, a log or an error message.

Where no keyring backend exists the token is kept in memory for this run and the caller is told so.
Environment variables (``PHAROS_TOKEN``, ``PHAROS_GIT_TOKEN``, ``PHAROS_QUEUE_TOKEN``, ``PHAROS_MCP_TOKEN``) override
what the keyring holds.

A keyring that exists but fails raises more than keyring's own KeyringError: a broken D-Bus session or a
crashed secret service surfaces as jeepney, secretstorage, OSError or RuntimeError exceptions, even while
the backend is being chosen. Every failure is one KeyringUnavailable that names the variable to use instead:
a read that needs the token fails with it (get_secret), a read for which the token is optional warns once
and goes on without it (optional_secret), and storing falls back to this run's memory (set_secret).
"""

from __future__ import annotations

import os
import threading
from secrets import token_urlsafe  # the standard library's, beside this module of the same name
from typing import Callable

import keyring
import keyring.errors
from keyring.backends import fail

from .errors import ConfigError, KeyringUnavailable

SERVICE = "pharos-desktop"
CLOUD_TOKEN = "cloud-token"
GIT_TOKEN = "git-token"
QUEUE_TOKEN = "queue-token"  # the cloud queue's Upstash REST token (or redis password)
MCP_TOKEN = "mcp-token"  # what an assistant sends to `pharos-desktop mcp --http` (made here, never typed in)
_ENV = {CLOUD_TOKEN: "PHAROS_TOKEN", GIT_TOKEN: "PHAROS_GIT_TOKEN", QUEUE_TOKEN: "PHAROS_QUEUE_TOKEN",
        MCP_TOKEN: "PHAROS_MCP_TOKEN"}

_memory: dict[str, str] = {}


_chosen = threading.Event()


def _choose_backend() -> None:
    """keyring chooses its backend at the first use by importing each candidate, and keeps the traceback of
    one that fails to import, with every frame under it: chosen inside an ingest, that pinned the ingest's
    whole working set (its model too) for the life of the process. Chosen on a thread of its own, the kept
    frames hold nothing of ours."""
    if _chosen.is_set():
        return

    def choose() -> None:
        try:
            keyring.get_keyring()
        except Exception:  # noqa: BLE001 - raised again, to the caller, by the call that follows
            pass

    thread = threading.Thread(target=choose, name="pharos-keyring", daemon=True)
    thread.start()
    thread.join()
    _chosen.set()


def _has_keyring() -> bool:
    """False where this system has no keyring (tokens then live in this run's memory). Raises what a
    failing backend raises."""
    _choose_backend()
    backend = keyring.get_keyring()
    return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 1) > 0


def _unavailable(name: str, exc: Exception) -> KeyringUnavailable:
    lines = str(exc).strip().splitlines()
    reason = lines[0][:160] if lines else type(exc).__name__
    return KeyringUnavailable(reason, _ENV[name])


def keyring_available() -> bool:
    try:
        return _has_keyring()
    except Exception:  # noqa: BLE001 - a backend that fails while being chosen is no keyring to use
        return False


def get_secret(name: str) -> str:
    """The token, "" when none is set; raises KeyringUnavailable when the keyring fails."""
    env = os.environ.get(_ENV.get(name, ""), "")
    if env:
        return env
    if name in _memory:
        return _memory[name]
    try:
        return (keyring.get_password(SERVICE, name) or "") if _has_keyring() else ""
    except Exception as exc:  # noqa: BLE001 - backends raise far more than KeyringError (module docstring)
        raise _unavailable(name, exc) from exc


def optional_secret(name: str, warn: Callable[[str], None]) -> str:
    """A token the caller can do without: where the keyring fails, ``warn`` gets one line and this is ""."""
    try:
        return get_secret(name)
    except KeyringUnavailable as exc:
        warn(f"the system keyring could not be read ({exc.reason}): going on without the "
             f"{name.replace('-', ' ')}; set {exc.variable} to use one")
        return ""


def as_environment(*names: str) -> dict[str, str]:
    """The environment variables that hand these secrets to a child process (which may have no keyring,
    or only this run's memory): only those that are set. One the keyring fails to give is left out: the
    child reads it itself and says so."""
    values = {}
    for name in names:
        try:
            values[_ENV[name]] = get_secret(name)
        except KeyringUnavailable:
            pass  # the child reads it itself, and says so
    return {var: value for var, value in values.items() if value}


def set_secret(name: str, value: str) -> bool:
    """Store ``value``; returns False when it could only be kept for this run (no keyring, or one that fails)."""
    try:
        if _has_keyring():
            if value:
                keyring.set_password(SERVICE, name, value)
            else:
                try:
                    keyring.delete_password(SERVICE, name)
                except keyring.errors.PasswordDeleteError:
                    pass  # nothing was stored
            _memory.pop(name, None)
            return True
    except Exception:  # noqa: BLE001 - as in get_secret; this run's memory still works
        pass
    if value:
        _memory[name] = value
    else:
        _memory.pop(name, None)
    return False


def assistant_token() -> str:
    """The token an assistant must send to the HTTP server (``pharos-desktop mcp --http``): the one stored, else a
    new random one, stored now. Raises KeyringUnavailable, or ConfigError where no keyring can keep it (a token
    that lives only in this process's memory could be shown to nobody)."""
    token = get_secret(MCP_TOKEN)
    if token:
        return token
    token = token_urlsafe(32)
    if not set_secret(MCP_TOKEN, token):
        raise ConfigError(f"no system keyring can keep the assistants' token: set {_ENV[MCP_TOKEN]} to one you "
                          "choose (32 characters or more)")
    return token


def new_assistant_token() -> bool:
    """Replace the assistants' token with a new random one; False when it could only be kept for this run."""
    return set_secret(MCP_TOKEN, token_urlsafe(32))


def mask(token: str) -> str:
    """What a screen may show of a token: its last four characters at most."""
    if not token:
        return ""
    return "•" * 8 + (token[-4:] if len(token) > 12 else "")
