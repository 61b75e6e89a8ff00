"""What a queued job may make this machine reach: the one gate between the cloud's queue and git.

Anyone who can queue a job (the cloud's ingest route, or the queue itself) chooses the URL, so the URL is
hostile input. A job is admitted only as the cloud's own ingest route means it: a remote repository.

- Never the file system: no path, no ``file://``, no relative name (``etc`` means ``https://etc``, as it
  does to the cloud, and has no repository path).
- https only; ``ssh://`` and ``git@host:path`` only when the user allows them in Settings; plain
  ``http://`` and ``git://`` only to a trusted private git server.
- Never this machine's own networks: a host that is, or resolves to, a loopback, link-local, private,
  unique-local or otherwise non-public address is refused (a name that does not resolve is refused the same
  way, so the refusal tells nothing about the target), unless the user lists it under trusted git servers.
  git then connects to the addresses checked here (curl's resolve pin) and follows no redirect, so neither a
  second DNS answer nor a redirect can lead it elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from ..errors import SourceError
from ..settings import Settings
from ..source import SourceSpec, parse_source
from ..source.spec import LOCAL_REFUSED

NOT_PUBLIC = ("refused: the repository's host is not a public internet address (this machine, its network, or "
              "a name that does not resolve); a private git server must be listed under Trusted git servers in "
              "Settings")
SSH_OFF = ("refused: ssh repositories are taken from the queue only when \"Allow ssh for cloud jobs\" is on in "
           "Settings")
PLAIN_TEXT = ("refused: {scheme}:// is unencrypted; a cloud job may use https:// (plain {scheme}:// only to a "
              "trusted private git server)")

_DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418}
_PATH_LIKE = re.compile(r"^(?:[/~.\\]|[A-Za-z]:[\\/]|file:)", re.IGNORECASE)

Resolver = Callable[[str, int], list[str]]


class JobRefused(SourceError):
    """A queued job names something the worker must not reach; the message is the job's failure reason."""


@dataclass(frozen=True)
class Admitted:
    spec: SourceSpec  # location: the URL git is given (never a path)
    pins: tuple[str, ...]  # curl --resolve entries, host:port:address (https/http only)


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return sorted({info[4][0] for info in infos})


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def as_the_cloud_means_it(repo_url: str) -> str:
    """The cloud's ingest route reads a URL without a scheme as https (``github.com/o/r``); so do we."""
    text = repo_url.strip()
    if _PATH_LIKE.match(text):
        raise JobRefused(LOCAL_REFUSED)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", text) or re.match(r"^[^@/:\s]+@[^/:\s]+:", text):
        return text
    return "https://" + text


def admit(repo_url: str, settings: Settings, resolve: Resolver = system_resolver) -> Admitted:
    """The job's repository as git may fetch it, or JobRefused with the reason."""
    try:
        spec = parse_source(as_the_cloud_means_it(repo_url), remote_only=True)
    except JobRefused:
        raise
    except SourceError as exc:
        raise JobRefused(f"refused: {exc}") from None
    scheme = _scheme(spec.location)
    host = (spec.host or "").lower()
    trusted = host in {h.strip().lower() for h in settings.trusted_git_hosts if h.strip()}
    if scheme == "ssh" and not settings.worker_allow_ssh:
        raise JobRefused(SSH_OFF)
    if scheme in ("http", "git") and not trusted:
        raise JobRefused(PLAIN_TEXT.format(scheme=scheme))
    if scheme not in ("https", "http", "ssh", "git"):
        raise JobRefused(f"refused: {scheme}:// is not a way the cloud names a repository")
    if trusted:
        return Admitted(spec, ())
    port = _port(spec.location, scheme)
    addresses = resolve(host.strip("[]"), port)
    if not addresses or not all(is_public(address) for address in addresses):
        raise JobRefused(NOT_PUBLIC)
    listed = ",".join(f"[{a}]" if ":" in a else a for a in addresses)
    pins = (f"{host}:{port}:{listed}",) if scheme in ("https", "http") else ()
    return Admitted(spec, pins)


def _scheme(location: str) -> str:
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*)://", location)
    if not match:
        return "ssh"  # git's scp-like form, user@host:path
    scheme = match.group(1).lower()
    return "ssh" if scheme in ("git+ssh", "ssh+git") else scheme


def _port(location: str, scheme: str) -> int:
    if "://" not in location:
        return _DEFAULT_PORTS["ssh"]
    return urlsplit(location).port or _DEFAULT_PORTS[scheme]
