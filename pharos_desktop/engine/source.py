"""Where a repository comes from: parse what the user typed, then clone, update or open it.

Safety rules enforced here (how git itself is run, prompts, tokens and deadlines: gitcmd.py):
- The token is never in a URL, an argument, ``.git/config``, an event or a message; credentials typed
  into a URL are dropped before the URL is stored, shown or handed to git.
- ``ext::``/``fd::`` transports and anything that git could read as an option are refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .cancel import CancelToken
from .errors import SourceError, UnsafeSource
from .events import Emit, StageMessage
from .files import in_git_work_tree
from .git_errors import clone_error
from .gitcmd import Stalled, git_base, git_env, local_git, remove_tree, run_git
from .progress import StageMeter

WEB_HOSTS = ("github.com", "gitlab.com")  # hosts whose browse URLs we know how to build
KNOWN_HOSTS = WEB_HOSTS + ("bitbucket.org", "codeberg.org")  # "github.com/owner/repo" without a scheme
URL_SCHEMES = ("https", "http", "ssh", "git+ssh", "ssh+git", "git", "file")

CREDENTIALS_IGNORED = ("the user name and password in the URL were ignored (they are never stored or passed on); "
                       "put a git token in Settings or PHAROS_GIT_TOKEN instead")


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # "remote" or "local"
    location: str  # remote: normalised URL without credentials; local: absolute path
    display: str  # shown by the UI/CLI and stored in the catalog; never a token
    name: str  # short repository name
    repo_id: str  # sha1 of the normalised location (+ branch), 16 hex
    web_base: str | None  # https://github.com/owner/repo for GitHub/GitLab, else None
    host: str | None
    credentials_stripped: bool = False  # the typed URL held credentials; the caller may warn


@dataclass
class Checkout:
    path: Path
    commit: str  # HEAD sha, "" for a plain folder
    branch: str  # checked-out branch, "" when detached or a plain folder
    is_clone: bool


# -- parsing -----------------------------------------------------------------------------------

_TRANSPORT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+.\-]*::")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_SCP_RE = re.compile(r"^(?:(?P<user>[^@/:\s]+)@)?(?P<host>[^@/:\s\\]+):(?P<path>[^\\].*)$")


def _repo_id(location: str, branch: str | None) -> str:
    key = location.rstrip("/")
    key = key[:-4] if key.endswith(".git") else key
    return hashlib.sha1((key + (f"#{branch}" if branch else "")).encode("utf-8")).hexdigest()[:16]


def _repo_name(path: str) -> str:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last[:-4] if last.endswith(".git") else last


def _web_base(host: str | None, path: str) -> str | None:
    if host not in WEB_HOSTS:
        return None
    clean = path.strip("/")
    clean = clean[:-4] if clean.endswith(".git") else clean
    return f"https://{host}/{clean}" if clean.count("/") >= 1 else None


def _trim_browse_path(host: str, path: str) -> str:
    """A URL pasted from the browser (…/tree/main/src) names the repository in its first parts."""
    parts = [p for p in path.split("/") if p]
    if host == "github.com" and len(parts) > 2:
        parts = parts[:2]
    if host == "gitlab.com" and "-" in parts:
        parts = parts[: parts.index("-")]
    return "/" + "/".join(parts)


def _remote(location: str, host: str, path: str, stripped: bool, branch: str | None) -> SourceSpec:
    name = _repo_name(path)
    if not name or not path.strip("/"):
        raise SourceError(f"not a repository URL (no repository path): {location}")
    return SourceSpec("remote", location, location, name, _repo_id(location, branch), _web_base(host, path),
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
    path = _trim_browse_path(host, parts.path) if host in WEB_HOSTS else parts.path.rstrip("/")
    location = f"{scheme}://{user}{host}{port}{path}"
    return _remote(location, host, path, stripped, branch)


def parse_source(text: str, branch: str | None = None) -> SourceSpec:
    """What the user typed -> SourceSpec. ``branch`` only feeds the repository id."""
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
        return _parse_url(text, branch)

    candidate = Path(text).expanduser()
    if candidate.exists():
        folder = candidate.resolve()
        if not folder.is_dir():
            raise SourceError(f"not a folder: {folder} is a file; give the repository's folder")
        location = str(folder)
        return SourceSpec("local", location, location, folder.name or location, _repo_id(location, branch),
                          None, None)

    scp = _SCP_RE.match(text)
    if scp and len(scp.group("host")) > 1 and ("@" in text or "." in scp.group("host")):
        host, path = scp.group("host").lower(), "/" + scp.group("path").lstrip("/")
        if host.startswith("-"):
            raise UnsafeSource(f"refusing a host that git could read as an option: {text}")
        user = f"{scp.group('user')}@" if scp.group("user") else ""
        location = f"{user}{host}:{scp.group('path')}".rstrip("/")
        return _remote(location, host, path, False, branch)

    first = text.split("/", 1)[0].lower()
    if first in KNOWN_HOSTS and "/" in text:
        return _parse_url("https://" + text, branch)
    if "/" in text or "\\" in text or text.startswith((".", "~")):
        raise SourceError(f"folder does not exist: {candidate.resolve()}")
    raise SourceError(f"not a URL or folder: {text}")


def without_credentials(text: str) -> str:
    """What the user typed, minus any credentials in it: the form to store, show, log or pass on."""
    try:
        spec = parse_source(text)
    except SourceError:
        return text
    return spec.location if spec.credentials_stripped else text


# -- git progress ------------------------------------------------------------------------------

_PROGRESS_RE = re.compile(
    r"^(?:remote:\s*)?(Receiving objects|Resolving deltas|Updating files):\s+\d+% \((\d+)/(\d+)\)")
_BRANCH_RE = re.compile(r"[^\s~^:?*\[\\]+")  # what git allows in a branch name, roughly
_PHASE_UNITS = {"Receiving objects": "objects", "Resolving deltas": "deltas", "Updating files": "files"}


# -- opening -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class GitAccess:
    """What git may use to reach a remote: the token, the hosts it is for, the stall deadline."""
    token: str = ""
    token_hosts: tuple[str, ...] = ()  # lower-case host names; the token goes to no other host
    timeout: float = 60.0  # seconds a network operation may show no progress before it is ended


def _head(path: Path) -> tuple[str, str]:
    code, commit = local_git(["rev-parse", "--verify", "-q", "HEAD"], path)
    _, branch = local_git(["symbolic-ref", "--short", "-q", "HEAD"], path)
    return (commit if code == 0 else ""), branch


def _progress_reporter(emit: Emit, job_id: str):
    meters: dict[str, StageMeter] = {}

    def on_line(line: str) -> None:
        match = _PROGRESS_RE.match(line)
        if not match:
            return
        phase, done, total = match.group(1), int(match.group(2)), int(match.group(3))
        meter = meters.get(phase)
        if meter is None:
            meter = meters[phase] = StageMeter(emit, job_id, "clone", total, _PHASE_UNITS[phase])
        meter.total = total
        if done > meter.done:
            meter.advance(done - meter.done, phase.lower())
        if done == total:
            meter.flush()

    return on_line


def _open_local(spec: SourceSpec, branch: str | None) -> Checkout:
    path = Path(spec.location)
    if not path.is_dir():
        raise SourceError(f"folder does not exist: {path}")
    commit, current = _head(path) if in_git_work_tree(path) else ("", "")
    if branch and branch != current:
        where = f"has '{current}' checked out" if current else "is not on a git branch"
        raise SourceError(f"{path} {where}: local folders are read as they are on disk, so --branch "
                          f"'{branch}' cannot apply; check it out there first, or give the repository's URL")
    return Checkout(path, commit, current, is_clone=False)


class _Git:
    """git commands for one source, with one environment and one way of naming failures."""

    def __init__(self, spec: SourceSpec, access: GitAccess, cancel: CancelToken) -> None:
        self.spec, self.access, self.cancel = spec, access, cancel
        self.env = git_env(access.token, spec.host, access.token_hosts)
        self.base = git_base(access.token)

    def network(self, args: list[str], branch: str | None, *, cwd: Path | None = None,
                on_line=None) -> str:
        try:
            code, out, lines = run_git(self.base + args, env=self.env, cancel=self.cancel, cwd=cwd, on_line=on_line,
                                       timeout=self.access.timeout)
        except Stalled as exc:
            raise SourceError(f"{self.spec.host or self.spec.display} stopped answering: no progress for "
                              f"{exc.seconds:g} s, so git was stopped (a slow server? raise PHAROS_GIT_TIMEOUT)") from None
        if code != 0:
            raise clone_error(self.spec, branch, lines, self.access)
        return out

    def local(self, args: list[str], cwd: Path) -> int:
        return run_git(self.base + args, env=self.env, cancel=self.cancel, cwd=cwd)[0]


def _default_branch(git: _Git) -> str:
    """The remote's default branch now (it may have changed since we cloned); "" if it does not say."""
    out = git.network(["ls-remote", "--symref", "--", git.spec.location, "HEAD"], None)
    match = re.search(r"^ref: refs/heads/(\S+)\s+HEAD", out, re.MULTILINE)
    return match.group(1) if match else ""


def _update(git: _Git, branch: str | None, dest: Path, emit: Emit, job_id: str) -> Checkout:
    target = branch or _default_branch(git) or _head(dest)[1]
    if not target:
        return _clone(git, branch, dest, emit, job_id)
    emit(StageMessage(job_id, f"updating the existing clone ({target})"))
    refspec = f"+refs/heads/{target}:refs/remotes/origin/{target}"
    git.network(["fetch", "--depth", "1", "--no-tags", "--progress", "origin", refspec], target, cwd=dest,
                on_line=_progress_reporter(emit, job_id))
    for args in (["checkout", "-q", "-f", "-B", target, f"refs/remotes/origin/{target}"],
                 ["reset", "-q", "--hard", f"refs/remotes/origin/{target}"], ["clean", "-q", "-ffdx"]):
        if git.local(args, dest) != 0:  # a damaged clone (disk full, killed mid-checkout): start over
            emit(StageMessage(job_id, "the existing clone could not be updated; cloning again", "warning"))
            return _clone(git, branch, dest, emit, job_id)
    commit, current = _head(dest)
    return Checkout(dest, commit, current, is_clone=True)


def _clone(git: _Git, branch: str | None, dest: Path, emit: Emit, job_id: str) -> Checkout:
    # Cloned beside the destination and renamed at the end: a killed clone leaves only a ".tmp-" folder,
    # swept here. Only one ingest of a repository runs at a time (ingest.py), so none of these is in use.
    for stale in dest.parent.glob(f".{dest.name}.tmp-*"):
        remove_tree(stale)
    temp = dest.parent / f".{dest.name}.tmp-{uuid.uuid4().hex[:8]}"
    spec = git.spec
    emit(StageMessage(job_id, f"cloning {spec.display}" + (f" ({branch})" if branch else "") + " with depth 1"))
    args = ["clone", "--depth", "1", "--single-branch", "--no-tags", "--progress"]
    if branch:
        args += ["--branch", branch]
    try:
        git.network(args + ["--", spec.location, str(temp)], branch, on_line=_progress_reporter(emit, job_id))
        remove_tree(dest)
        os.replace(temp, dest)
    finally:
        remove_tree(temp)
    commit, current = _head(dest)
    return Checkout(dest, commit, current, is_clone=True)


def open_source(spec: SourceSpec, branch: str | None, clones_dir: Path, *, access: GitAccess = GitAccess(),
                emit: Emit, job_id: str, cancel: CancelToken) -> Checkout:
    """A working tree for ``spec``: the folder itself, or a fresh / updated shallow clone."""
    cancel.raise_if_cancelled()
    branch = (branch or "").strip() or None  # an empty field in the window means the default branch
    if branch is not None and (branch.startswith("-") or ".." in branch or not _BRANCH_RE.fullmatch(branch)):
        raise SourceError(f"not a valid branch name: {branch!r}")
    if spec.kind == "local":
        return _open_local(spec, branch)
    if spec.location.startswith("file://"):
        access = replace(access, token="")  # a local path never needs one; keep it out of every process we start
    clones_dir = Path(clones_dir)
    clones_dir.mkdir(parents=True, exist_ok=True)
    dest = clones_dir / spec.repo_id
    git = _Git(spec, access, cancel)
    if (dest / ".git").is_dir():
        code, url = local_git(["config", "--get", "remote.origin.url"], dest)
        if code == 0 and _repo_id(url, None) == _repo_id(spec.location, None):
            return _update(git, branch, dest, emit, job_id)
    return _clone(git, branch, dest, emit, job_id)
