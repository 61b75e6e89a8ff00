"""A real D-Bus session bus (dbus-daemon) on a socket in a test's folder, and a secret service on it that
dies in the middle of a call, as a crashed gnome-keyring does: the bus itself then answers the caller
with org.freedesktop.DBus.Error.NoReply. Run as a script, this file is that secret service."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SECRETS_NAME = "org.freedesktop.secrets"


class SessionBus:
    def __init__(self, folder: Path) -> None:
        self.process = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1", f"--address=unix:path={folder / 'bus'}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.process.stdout.readline().strip()  # printed once it listens
        if not self.address:
            raise RuntimeError("dbus-daemon did not start")

    def start_crashing_secret_service(self) -> subprocess.Popen:
        service = subprocess.Popen([sys.executable, __file__, self.address], stdout=subprocess.PIPE, text=True)
        if service.stdout.readline().strip() != "ready":  # it owns the name from here on
            raise RuntimeError("the secret service did not start")
        return service

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def available() -> bool:
    return shutil.which("dbus-daemon") is not None


def _crashing_secret_service(address: str) -> None:
    """Owns the secret service's name; answers the default collection's Label (so a client finds the
    service and its collection), then exits without answering the next call."""
    from jeepney import MessageType, message_bus, new_method_return
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.low_level import HeaderFields

    connection = open_dbus_connection(address)
    connection.send_and_get_reply(message_bus.RequestName(SECRETS_NAME, 4))  # 4: fail rather than queue
    print("ready", flush=True)
    while True:
        message = connection.receive()
        if message.header.message_type != MessageType.method_call:
            continue
        if message.header.fields.get(HeaderFields.member) == "Get" and message.body[1:] == ("Label",):
            connection.send(new_method_return(message, "v", (("s", "Login"),)))
        else:
            sys.exit(1)  # mid-call


if __name__ == "__main__":
    _crashing_secret_service(sys.argv[1])
