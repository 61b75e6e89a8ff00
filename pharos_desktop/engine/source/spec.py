"""What the user typed -> ``SourceSpec``: a folder, or a git URL in one of the forms git accepts.

- Credentials typed into a URL are dropped before the URL is stored, shown or handed to git (the
  token travels only as checkout.py and git.py say).
- ``ext::``/``fd::`` transports and anything that git could read as an option are refused.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import SourceError, UnsafeSource
from ..weblinks import SCP_RE, host_kind, repository_path, web_base

KNOWN_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")  # "github.com/owner/repo", no scheme
URL_SCHEMES = ("https", "http", "ssh", "git+ssh", "ssh+git", "git", "file")

LOCAL_REFUSED = "refusing a local path: only a remote repository URL can be used here"
CREDENTIALS_IGNORED = ("the user name and password in the URL were ignored (they are never stored or passed on); "
                       "put a git token in Settings or PHAROS_GIT_TOKEN instead")


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # "remote" or "local"
    location: str  # remote: normalised URL without credentials; local: absolute path
    display: str  # shown by the UI/CLI and stored in the catalog; never a token
    name: str  # short repository name
    repo_id: str  # sha1 of the normalised location (+ branch), 16 hex
    web_base: str | None  # the repository's web page on a host weblinks.py knows (GitHub, GitLab, Bitbucket)
    host: str | None
    credentials_stripped: bool = False  # the typed URL held credentials; the caller may warn


_TRANSPORT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+.\-]*::")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


def repo_id(location: str, branch: str | None) -> str:
    """The repository's id: the same for the URL with or without ``.git``, different per branch."""
    key = location.rstrip("/")
    key = key[:-4] if key.endswith(".git") else key
    return hashlib.sha1((key + (f"#{branch}" if branch else "")).encode("utf-8")).hexdigest()[:16]


def _repo_name(path: str) -> str:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last[:-4] if last.endswith(".git") else last


def _remote(location: str, host: str, path: str, stripped: bool, branch: str | None) -> SourceSpec:
    name = _repo_name(path)
    if not name or not path.strip("/"):
        raise SourceError(f"not a repository URL (no repository path): {location}")
    return SourceSpec("remote", location, location, name, repo_id(location, branch), web_base(location),
                      host, stripped)


def file_url_path(netloc: str, path: str, *, windows: bool) -> str:
    """The folder a file:// URL names. file://server/share/x is a network share: a UNC path on Windows,
    refused elsewhere (never quietly read as the local /share/x)."""
    raw = unquote(path)
    host = unquote(netloc)
    if host and host.lower() != "localhost":
        if not windows:
            raise SourceError(f"file://{host}/… names a network share on {host}: mount it and give the "
                              "mounted folder's path instead")
        return "\\\\" + host + raw.replace("/", "\\")
    if windows and re.match(r"^/[A-Za-z]:", raw):
        raw = raw[1:]  # file:///C:/x -> C:/x
    return raw


def _parse_url(text: str, branch: str | None) -> SourceSpec:
    scheme = _SCHEME_RE.match(text).group(1).lower()
    if scheme not in URL_SCHEMES:
        raise SourceError(f"unsupported URL scheme {scheme}:// (use https, ssh, git or file): {text}")
    parts = urlsplit(text)
    try:
        parts.port
    except ValueError as exc:
        raise SourceError(f"not a URL or folder (bad port): {text}") from exc
    if scheme == "file":
        folder = Path(file_url_path(parts.netloc, parts.path, windows=os.name == "nt")).expanduser()
        if not folder.exists():
            raise SourceError(f"folder does not exist: {folder}")
        location = folder.resolve().as_uri()
        return _remote(location, None, folder.resolve().as_posix(), False, branch)  # type: ignore[arg-type]
    host = (parts.hostname or "").lower()
    if not host:
        raise SourceError(f"not a URL or folder: {text}")
    if host.startswith("-"):
        raise UnsafeSource(f"refusing a host that git could read as an option: {text}")
    stripped = parts.password is not None or (parts.username is not None and scheme in ("http", "https"))
    # ssh keeps its user name (git@…): it picks the account, it is not a secret. Passwords always go.
    user = f"{parts.username}@" if parts.username and not scheme.startswith("http") else ""
    port = f":{parts.port}" if parts.port else ""
    path = repository_path(host, parts.path) if host_kind(host) else parts.path.rstrip("/")
    bracketed = f"[{host}]" if ":" in host else host  # an IPv6 address
    location = f"{scheme}://{user}{bracketed}{port}{path}"
    return _remote(location, host, path, stripped, branch)


def parse_source(text: str, branch: str | None = None, *, remote_only: bool = False) -> SourceSpec:
    """What the user typed -> SourceSpec. ``branch`` only feeds the repository id.

    ``remote_only``: a git URL or nothing (what a queued cloud job may name): the file system is never
    consulted, and ``file://`` is refused like a folder."""
    text = (text or "").strip()
    if not text:
        raise SourceError("no source given: enter a git URL or a folder")
    if any(ord(c) < 32 for c in text):
        raise UnsafeSource("refusing a source with control characters")
    if text.startswith("-"):
        raise UnsafeSource(f"refusing a source that starts with '-' (git would read it as an option): {text}")
    if _TRANSPORT_RE.match(text):
        transport = text.split("::", 1)[0]
        raise UnsafeSource(f"refusing the '{transport}::' transport: it lets a URL run commands")
    if _SCHEME_RE.match(text):
        if remote_only and _SCHEME_RE.match(text).group(1).lower() == "file":
            raise UnsafeSource(LOCAL_REFUSED)
        return _parse_url(text, branch)
    if remote_only:
        return _parse_scp(text, branch)

    candidate = Path(text).expanduser()
    if candidate.exists():
        folder = candidate.resolve()
        if not folder.is_dir():
            raise SourceError(f"not a folder: {folder} is a file; give the repository's folder")
        location = str(folder)
        return SourceSpec("local", location, location, folder.name or location, repo_id(location, branch),
                          None, None)

    if _looks_like_scp(text):
        return _parse_scp(text, branch)

    first = text.split("/", 1)[0].lower()
    if first in KNOWN_HOSTS and "/" in text:
        return _parse_url("https://" + text, branch)
    if "/" in text or "\\" in text or text.startswith((".", "~")):
        raise SourceError(f"folder does not exist: {candidate.resolve()}")
    raise SourceError(f"not a URL or folder: {text}")


def _looks_like_scp(text: str) -> bool:
    scp = SCP_RE.match(text)
    return bool(scp and len(scp.group("host")) > 1 and ("@" in text or "." in scp.group("host")))


def _parse_scp(text: str, branch: str | None) -> SourceSpec:
    """git's scp-like form, [user@]host:path."""
    if not _looks_like_scp(text):
        raise UnsafeSource(LOCAL_REFUSED)
    scp = SCP_RE.match(text)
    host, path = scp.group("host").lower(), "/" + scp.group("path").lstrip("/")
    if host.startswith("-"):
        raise UnsafeSource(f"refusing a host that git could read as an option: {text}")
    user = f"{scp.group('user')}@" if scp.group("user") else ""
    location = f"{user}{host}:{scp.group('path')}".rstrip("/")
    return _remote(location, host, path, False, branch)


_USERINFO_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)?[^/?#\s]*@")


def redact(text: str) -> str:
    """``text`` without the user name and password it may hold (``https://bob:pw@host/r``,
    ``bob:pw@host:r``), found without parsing it as a source: the form of a URL from elsewhere (a queued
    job) that may be shown, logged or written back."""
    return _USERINFO_RE.sub(lambda m: m.group(1) or "", text.strip())


def without_credentials(text: str) -> str:
    """What the user typed, minus any credentials in it: the form to store, show, log or pass on."""
    try:
        spec = parse_source(text)
    except SourceError:
        return text
    return spec.location if spec.credentials_stripped else text
