"""Tokens live in the OS keyring only; never in settings.json, a log or an error message.

Where no keyring backend exists the token is kept in memory for this run and the caller is told so.
Environment variables (``PHAROS_TOKEN``, ``PHAROS_GIT_TOKEN``, ``PHAROS_QUEUE_TOKEN``) override what the keyring holds.
"""

from __future__ import annotations

import os

import keyring
import keyring.errors
from keyring.backends import fail

SERVICE = "pharos-desktop"
CLOUD_TOKEN = "cloud-token"
GIT_TOKEN = "git-token"
QUEUE_TOKEN = "queue-token"  # the cloud queue's Upstash REST token (or redis password)
_ENV = {CLOUD_TOKEN: "PHAROS_TOKEN", GIT_TOKEN: "PHAROS_GIT_TOKEN", QUEUE_TOKEN: "PHAROS_QUEUE_TOKEN"}

_memory: dict[str, str] = {}


def keyring_available() -> bool:
    backend = keyring.get_keyring()
    return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 1) > 0


def get_secret(name: str) -> str:
    env = os.environ.get(_ENV.get(name, ""), "")
    if env:
        return env
    if name in _memory:
        return _memory[name]
    if keyring_available():
        try:
            return keyring.get_password(SERVICE, name) or ""
        except keyring.errors.KeyringError:
            return ""
    return ""


def as_environment(*names: str) -> dict[str, str]:
    """The environment variables that hand these secrets to a child process (which may have no keyring,
    or only this run's memory): only those that are set."""
    values = {_ENV[name]: get_secret(name) for name in names}
    return {var: value for var, value in values.items() if value}


def set_secret(name: str, value: str) -> bool:
    """Store ``value``; returns False when it could only be kept for this run (no keyring)."""
    if keyring_available():
        try:
            if value:
                keyring.set_password(SERVICE, name, value)
            else:
                try:
                    keyring.delete_password(SERVICE, name)
                except keyring.errors.PasswordDeleteError:
                    pass
            _memory.pop(name, None)
            return True
        except keyring.errors.KeyringError:
            pass
    if value:
        _memory[name] = value
    else:
        _memory.pop(name, None)
    return False


def mask(token: str) -> str:
    """What a screen may show of a token: its last four characters at most."""
    if not token:
        return ""
    return "•" * 8 + (token[-4:] if len(token) > 12 else "")
