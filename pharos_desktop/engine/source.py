"""Where a repository comes from: parse what the user typed, then clone, update or open it.

Safety rules, all enforced here:
- git never prompts: no terminal (own session, stdin closed, GIT_TERMINAL_PROMPT=0), no askpass
  program, ssh in batch mode, the user's credential helpers switched off (a GUI credential manager
  would pop up a window from a background job).
- The token reaches git only through the environment of the git process, read by a credential
  helper one-liner. It is never in a URL, an argument, ``.git/config``, an event or a message.
- ``ext::``/``fd::`` transports and anything that git could read as an option are refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .cancel import CancelToken
from .errors import AuthRequired, Cancelled, SourceError, UnsafeSource
from .events import Emit, StageMessage
from .files import in_git_work_tree
from .progress import StageMeter

WEB_HOSTS = ("github.com", "gitlab.com")  # hosts whose browse URLs we know how to build
KNOWN_HOSTS = WEB_HOSTS + ("bitbucket.org", "codeberg.org")  # "github.com/owner/repo" without a scheme
URL_SCHEMES = ("https", "http", "ssh", "git+ssh", "ssh+git", "git", "file")

_TOKEN_ENV = "PHAROS_GIT_CREDENTIAL"
_USER_ENV = "PHAROS_GIT_USERNAME"
# A credential helper that answers only "get", from the environment. Git runs it with sh (git for
# Windows ships one); the token itself never appears in the command. printf, not echo: dash's echo
# would interpret backslashes in a token.
_CREDENTIAL_HELPER = ("!f() { test \"$1\" = get || return 0; "
                      f"printf 'username=%s\\npassword=%s\\n' \"${_USER_ENV}\" \"${_TOKEN_ENV}\"; }}; f")


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
        raw = unquote(parts.path)
        if os.name == "nt" and re.match(r"^/[A-Za-z]:", raw):
            raw = raw[1:]  # file:///C:/x -> C:/x
        folder = Path(raw).expanduser()
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


# -- running git -------------------------------------------------------------------------------

_PROGRESS_RE = re.compile(
    r"^(?:remote:\s*)?(Receiving objects|Resolving deltas|Updating files):\s+\d+% \((\d+)/(\d+)\)")
_ANY_PROGRESS_RE = re.compile(r"^(?:remote:\s*)?[A-Za-z ]+:\s+(?:\d+% \(|\d+, done)")
_BRANCH_RE = re.compile(r"[^\s~^:?*\[\\]+")  # what git allows in a branch name, roughly
_PHASE_UNITS = {"Receiving objects": "objects", "Resolving deltas": "deltas", "Updating files": "files"}


def _git_env(token: str, host: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_ASKPASS", "SSH_ASKPASS", _TOKEN_ENV)}
    env.update({
        "GIT_TERMINAL_PROMPT": "0",
        # Keep the user's own ssh command (a key of theirs) but never let it ask anything.
        "GIT_SSH_COMMAND": (os.environ.get("GIT_SSH_COMMAND") or "ssh") + " -o BatchMode=yes -o ConnectTimeout=20",
        "SSH_ASKPASS_REQUIRE": "never",
        "GCM_INTERACTIVE": "never",
        "LC_ALL": "C",  # git's messages in English, so errors can be recognised
        "LANGUAGE": "C",
    })
    if token:
        env[_TOKEN_ENV] = token
        env[_USER_ENV] = "oauth2" if host == "gitlab.com" else "x-access-token"
    return env


def _git_base(token: str) -> list[str]:
    args = ["git", "-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never",
            "-c", "core.askPass=", "-c", "credential.helper=", "-c", "credential.interactive=never",
            "-c", "core.fsmonitor=false", "-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=60",
            # no detached gc/maintenance after a fetch: it would outlive the job and hold the folder
            "-c", "gc.autoDetach=false", "-c", "maintenance.auto=false"]
    if token:
        args += ["-c", f"credential.helper={_CREDENTIAL_HELPER}"]
    return args


def _kill(process: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)  # git's helpers (remote-https, index-pack) too
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _run(args: list[str], *, env: dict[str, str], cancel: CancelToken, cwd: Path | None = None,
         on_line=None) -> tuple[int, str, list[str]]:
    """Run git, polling ``cancel``; returns (exit code, stdout, stderr lines)."""
    try:
        process = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=(os.name == "posix"),
                                   creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
    except FileNotFoundError as exc:
        raise SourceError("git is not installed or not on PATH; install git and try again") from exc
    out: list[bytes] = []
    lines: list[str] = []

    def read_stdout() -> None:
        out.append(process.stdout.read())

    def read_stderr() -> None:
        buffer = b""
        while chunk := process.stderr.read1(4096):
            buffer += chunk
            *complete, buffer = re.split(rb"[\r\n]", buffer)  # progress lines end with \r
            for raw in complete:
                if line := raw.decode("utf-8", "replace").strip():
                    if on_line:
                        on_line(line)
                    if not _ANY_PROGRESS_RE.match(line):
                        lines.append(line)
        if buffer.strip():
            lines.append(buffer.decode("utf-8", "replace").strip())

    readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    for reader in readers:
        reader.start()
    while process.poll() is None:
        if cancel.wait(0.1):
            _kill(process)
            process.wait()
            for reader in readers:
                reader.join(timeout=1)
            raise Cancelled()
    for reader in readers:
        reader.join(timeout=5)  # a leftover grandchild must not hold us on its copy of the pipe
    return process.returncode, b"".join(out).decode("utf-8", "replace"), lines


def _local_git(args: list[str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(["git", "-c", "core.fsmonitor=false", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    return done.returncode, done.stdout.decode("utf-8", "replace").strip()


# -- errors ------------------------------------------------------------------------------------

_AUTH = ("authentication failed", "could not read username", "could not read password", "terminal prompts disabled",
         "permission denied (publickey", "http basic: access denied", "error: 401", "error: 403",
         "invalid username or password", "invalid credentials")
_NETWORK = ("could not resolve host", "could not resolve hostname", "failed to connect", "connection refused",
            "connection timed out", "network is unreachable", "no route to host", "operation timed out",
            "name or service not known", "temporary failure in name resolution", "connection reset")
_NOT_FOUND = ("repository not found", "not found", "does not appear to be a git repository", "error: 404",
              "does not exist")
_BRANCH = ("remote branch", "couldn't find remote ref", "could not find remote branch")


def _scrub(text: str, token: str) -> str:
    if token:
        text = text.replace(token, "***")
    return re.sub(r"(://)[^/@\s]+@", r"\1", text)  # credentials git may echo back from a URL


def _first_relevant(lines: list[str], markers: tuple[str, ...] = ()) -> str:
    """The one git line worth showing: the first that names the problem, else the first fatal/error."""
    for line in lines:
        if any(marker in line.lower() for marker in markers):
            return _strip_prefix(line)
    for prefix in ("fatal:", "error:", "ssh:", "remote:"):
        for line in lines:
            if line.lower().startswith(prefix):
                return _strip_prefix(line)
    return lines[-1] if lines else "git exited with an error"


def _strip_prefix(line: str) -> str:
    for prefix in ("fatal:", "error:", "ssh:", "remote:"):
        if line.lower().startswith(prefix):
            return line[len(prefix):].strip()
    return line.strip()


def _clone_error(spec: SourceSpec, branch: str | None, lines: list[str], token: str) -> SourceError:
    text = "\n".join(lines).lower()
    if any(marker in text for marker in _AUTH):
        if token:
            return AuthRequired(f"authentication required for {spec.display}: the saved token was refused; "
                                "set a new one in Settings or PHAROS_GIT_TOKEN")
        return AuthRequired(f"authentication required for {spec.display}: set a token in Settings or PHAROS_GIT_TOKEN")
    if branch and any(marker in text for marker in _BRANCH):
        return SourceError(f"branch '{branch}' not found in {spec.display}")
    if "host key verification failed" in text:
        return SourceError(f"ssh does not trust the host key of {spec.host}: run `ssh {spec.host}` once to accept it")
    if any(marker in text for marker in _NETWORK):
        detail = _scrub(_first_relevant(lines, _NETWORK), token)
        return SourceError(f"cannot reach {spec.host or spec.display}: {detail}")
    if any(marker in text for marker in _NOT_FOUND):
        hint = "" if spec.location.startswith("file://") else " (check the URL; a private repository needs access)"
        return SourceError(f"repository not found: {spec.display}{hint}")
    return SourceError(f"git could not fetch {spec.display}: {_scrub(_first_relevant(lines), token)}")


# -- opening -----------------------------------------------------------------------------------

def _rmtree(path: Path) -> None:
    def writable(func, target, _exc):  # git marks pack files read-only; Windows refuses to delete those
        os.chmod(target, stat.S_IWRITE)
        func(target)

    if path.exists():
        shutil.rmtree(path, onerror=writable)


def _head(path: Path) -> tuple[str, str]:
    code, commit = _local_git(["rev-parse", "--verify", "-q", "HEAD"], path)
    _, branch = _local_git(["symbolic-ref", "--short", "-q", "HEAD"], path)
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


def _default_branch(spec: SourceSpec, base: list[str], env: dict[str, str], cancel: CancelToken) -> str:
    """The remote's default branch now (it may have changed since we cloned); "" if it does not say."""
    code, out, lines = _run(base + ["ls-remote", "--symref", "--", spec.location, "HEAD"], env=env, cancel=cancel)
    if code != 0:
        raise _clone_error(spec, None, lines, env.get(_TOKEN_ENV, ""))
    match = re.search(r"^ref: refs/heads/(\S+)\s+HEAD", out, re.MULTILINE)
    return match.group(1) if match else ""


def _update(spec: SourceSpec, branch: str | None, dest: Path, token: str, emit: Emit, job_id: str,
            cancel: CancelToken) -> Checkout:
    env, base = _git_env(token, spec.host), _git_base(token)
    target = branch or _default_branch(spec, base, env, cancel) or _head(dest)[1]
    if not target:
        return _clone(spec, branch, dest, token, emit, job_id, cancel)
    emit(StageMessage(job_id, f"updating the existing clone ({target})"))
    refspec = f"+refs/heads/{target}:refs/remotes/origin/{target}"
    code, _, lines = _run(base + ["fetch", "--depth", "1", "--no-tags", "--progress", "origin", refspec],
                          env=env, cancel=cancel, cwd=dest, on_line=_progress_reporter(emit, job_id))
    if code != 0:
        raise _clone_error(spec, target, lines, token)
    for args in (["checkout", "-q", "-f", "-B", target, f"refs/remotes/origin/{target}"],
                 ["reset", "-q", "--hard", f"refs/remotes/origin/{target}"], ["clean", "-q", "-ffdx"]):
        code, _, lines = _run(base + args, env=env, cancel=cancel, cwd=dest)
        if code != 0:  # a damaged clone (disk full, killed mid-checkout): start over
            emit(StageMessage(job_id, "the existing clone could not be updated; cloning again", "warning"))
            return _clone(spec, branch, dest, token, emit, job_id, cancel)
    commit, current = _head(dest)
    return Checkout(dest, commit, current, is_clone=True)


def _clone(spec: SourceSpec, branch: str | None, dest: Path, token: str, emit: Emit, job_id: str,
           cancel: CancelToken) -> Checkout:
    env, base = _git_env(token, spec.host), _git_base(token)
    # Cloned beside the destination and renamed at the end: a killed clone leaves only a ".tmp-" folder.
    for stale in dest.parent.glob(f".{dest.name}.tmp-*"):
        _rmtree(stale)
    temp = dest.parent / f".{dest.name}.tmp-{uuid.uuid4().hex[:8]}"
    emit(StageMessage(job_id, f"cloning {spec.display}" + (f" ({branch})" if branch else "") + " with depth 1"))
    args = base + ["clone", "--depth", "1", "--single-branch", "--no-tags", "--progress"]
    if branch:
        args += ["--branch", branch]
    try:
        code, _, lines = _run(args + ["--", spec.location, str(temp)], env=env, cancel=cancel,
                              on_line=_progress_reporter(emit, job_id))
        if code != 0:
            raise _clone_error(spec, branch, lines, token)
        _rmtree(dest)
        os.replace(temp, dest)
    finally:
        _rmtree(temp)
    commit, current = _head(dest)
    return Checkout(dest, commit, current, is_clone=True)


def open_source(spec: SourceSpec, branch: str | None, clones_dir: Path, *, token: str = "", emit: Emit,
                job_id: str, cancel: CancelToken) -> Checkout:
    """A working tree for ``spec``: the folder itself, or a fresh / updated shallow clone."""
    cancel.raise_if_cancelled()
    branch = (branch or "").strip() or None  # an empty field in the window means the default branch
    if branch is not None and (branch.startswith("-") or ".." in branch or not _BRANCH_RE.fullmatch(branch)):
        raise SourceError(f"not a valid branch name: {branch!r}")
    if spec.kind == "local":
        return _open_local(spec, branch)
    if spec.location.startswith("file://"):
        token = ""  # a local path never needs one; keep it out of every process we start
    clones_dir = Path(clones_dir)
    clones_dir.mkdir(parents=True, exist_ok=True)
    dest = clones_dir / spec.repo_id
    if (dest / ".git").is_dir():
        code, url = _local_git(["config", "--get", "remote.origin.url"], dest)
        if code == 0 and _repo_id(url, None) == _repo_id(spec.location, None):
            return _update(spec, branch, dest, token, emit, job_id, cancel)
    return _clone(spec, branch, dest, token, emit, job_id, cancel)
