"""The one way the engine runs git: the environment and options every git process gets, how it is
stopped, and what its progress lines mean. Nothing else in the engine starts git.

- Every git gets the same ``-c`` options (``_SAFETY``): no repository config can make us run one of its
  programs (fsmonitor, ext::/fd:: transports), long Windows paths work, names come back as raw UTF-8.
- git never prompts: no terminal (own session, stdin closed, GIT_TERMINAL_PROMPT=0), no askpass
  program, ssh in batch mode, the user's credential helpers switched off (a GUI credential manager
  would pop up a window from a background job).
- The token reaches git only through the environment of the git process, read by a credential
  helper one-liner that answers only over https and only for the hosts the token is for. git asks
  the helper again, with the new host, after a redirect, so a redirect elsewhere gets nothing.
- A network operation that shows no progress for ``timeout`` seconds is ended: an ssh server that
  sends its banner and then nothing would otherwise hold the job for ever.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..run.cancel import CancelToken
from ..errors import Cancelled, SourceError
from ..run.processes import kill_tree
from ..run.progress import StageMeter

if TYPE_CHECKING:
    from ..run.task import Task

NOT_INSTALLED = "git is not installed or not on PATH; install git and try again"

TOKEN_ENV = "PHAROS_GIT_CREDENTIAL"
_USER_ENV = "PHAROS_GIT_USERNAME"
_HOSTS_ENV = "PHAROS_GIT_TOKEN_HOSTS"
# A credential helper that answers only "get", only for https, only for a host in the list, from the
# environment. git hands it protocol= and host= (host:port when a port is given) on stdin, for the URL it
# is talking to now, redirects included. Git runs it with sh (git for Windows ships one); the token itself
# never appears in the command. printf, not echo: dash's echo would interpret backslashes in a token.
# When it says no, it says so on stderr (git passes that on), so the error can name the reason.
WITHHELD = "pharos: git token withheld from"
_CREDENTIAL_HELPER = (
    "!f() { test \"$1\" = get || return 0; p=; h=; "
    "while IFS= read -r l; do case \"$l\" in protocol=*) p=${l#protocol=};; host=*) h=${l#host=};; esac; done; "
    f"n() {{ printf '{WITHHELD} %s://%s\\n' \"$p\" \"$h\" >&2; }}; "
    "test \"$p\" = https && test -n \"$h\" || { n; return 0; }; "
    f"case \" ${_HOSTS_ENV} \" in *\" ${{h%:*}} \"*) ;; *) n; return 0;; esac; "
    f"printf 'username=%s\\npassword=%s\\n' \"${_USER_ENV}\" \"${TOKEN_ENV}\"; }}; f")

# OpenSSH gives up on a silent server after ServerAliveInterval * ServerAliveCountMax seconds (once the
# session is up) and on a connect after ConnectTimeout; the stall deadline covers the key exchange between.
_SSH_SAFETY = "-o BatchMode=yes -o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=3"
_NOT_OPENSSH = ("plink", "tortoiseplink", "putty")  # take no -o options (git tells them apart by name too)

_ANY_PROGRESS_RE = re.compile(r"^(?:remote:\s*)?[A-Za-z ]+:\s+(?:\d+% \(|\d+, done)")
_PROGRESS_RE = re.compile(
    r"^(?:remote:\s*)?(Receiving objects|Resolving deltas|Updating files):\s+\d+% \((\d+)/(\d+)\)")
_PHASE_UNITS = {"Receiving objects": "objects", "Resolving deltas": "deltas", "Updating files": "files"}


@dataclass(frozen=True)
class GitAccess:
    """What git may use to reach a remote: the token, the hosts it is for, the stall deadline."""
    token: str = ""
    token_hosts: tuple[str, ...] = ()  # lower-case host names; the token goes to no other host
    timeout: float = 60.0  # seconds a network operation may show no progress before it is ended
    # A queued cloud job's limits (engine/worker/admission.py): the only addresses git may connect to
    # (host:port:address), and whether a redirect may be followed.
    pins: tuple[str, ...] = ()
    follow_redirects: bool = True


def _user_ssh_command() -> str:
    """The user's own ssh command: GIT_SSH_COMMAND, else core.sshCommand from their git config."""
    if os.environ.get("GIT_SSH_COMMAND"):
        return os.environ["GIT_SSH_COMMAND"]
    for scope in ("--global", "--system"):
        done = run_local(["config", scope, "--get", "core.sshCommand"])
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.decode("utf-8", "replace").strip()
    return ""


def ssh_command() -> str | None:
    """GIT_SSH_COMMAND for our git: the user's command (their key, their proxy) plus our safety options.

    None leaves the user's GIT_SSH program alone (plink and friends take no ``-o``)."""
    command = _user_ssh_command()
    if not command and os.environ.get("GIT_SSH"):
        return None
    command = command or "ssh"
    try:
        program = Path(shlex.split(command)[0]).stem.lower()
    except (ValueError, IndexError):
        program = ""
    return command if program in _NOT_OPENSSH else f"{command} {_SSH_SAFETY}"


def local_env() -> dict[str, str]:
    """The environment of every git we start: never prompts, English messages (so errors can be recognised),
    no optional index locks (a scan must not block the user's own git in that folder)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GIT_ASKPASS", "SSH_ASKPASS", TOKEN_ENV, _USER_ENV, _HOSTS_ENV, "GIT_SSH_COMMAND")}
    env.update({
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "SSH_ASKPASS_REQUIRE": "never",
        "GCM_INTERACTIVE": "never",
        "LC_ALL": "C",
        "LANGUAGE": "C",
    })
    return env


def git_env(token: str, host: str | None, token_hosts: tuple[str, ...] = ()) -> dict[str, str]:
    """``local_env`` plus what talking to a remote needs: our ssh options, and the token when there is one."""
    env = local_env()
    ssh = ssh_command()
    if ssh:
        env["GIT_SSH_COMMAND"] = ssh
    if token:
        env[TOKEN_ENV] = token
        env[_USER_ENV] = "oauth2" if host == "gitlab.com" else "x-access-token"
        env[_HOSTS_ENV] = " ".join(h.strip().lower() for h in token_hosts if h.strip())
    return env


_SAFETY = ("-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never",
           "-c", "core.askPass=", "-c", "credential.helper=", "-c", "credential.interactive=never",
           "-c", "core.fsmonitor=false", "-c", "core.longpaths=true",  # Windows: paths over 260 characters
           "-c", "core.quotePath=false",  # non-ASCII names as raw UTF-8, not quoted octal
           "-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=60",
           # no detached gc/maintenance after a fetch: it would outlive the job and hold the folder
           "-c", "gc.autoDetach=false", "-c", "maintenance.auto=false")


def _command(args: list[str], env: dict[str, str], options: tuple[str, ...] = ()) -> list[str]:
    """The full command line: git, our options, the token's credential helper when ``env`` carries a token,
    then the caller's ``options`` (``network_options``)."""
    helper = ["-c", f"credential.helper={_CREDENTIAL_HELPER}"] if env.get(TOKEN_ENV) else []
    return ["git", *_SAFETY, *helper, *options, *args]


def network_options(pins: tuple[str, ...] = (), follow_redirects: bool = True) -> tuple[str, ...]:
    """``-c`` options that hold git's http(s) to checked addresses: ``pins`` (host:port:address) are the only
    addresses curl may connect to for those hosts, and no redirect is followed, not even the first."""
    options: list[str] = []
    for pin in pins:
        options += ["-c", f"http.curloptResolve={pin}"]
    if not follow_redirects:
        options += ["-c", "http.followRedirects=false"]
    return tuple(options)


def run_local(args: list[str], cwd: Path | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """A quick git command on a folder (no network, no cancel): its exit code, stdout and stderr as bytes."""
    try:
        return subprocess.run(_command(args, {}), cwd=cwd, env=local_env(), capture_output=True, check=False,
                              **({"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}))
    except FileNotFoundError as exc:
        raise SourceError(NOT_INSTALLED) from exc


def local_git(args: list[str], cwd: Path) -> tuple[int, str]:
    """``run_local``'s exit code and stdout as stripped text."""
    done = run_local(args, cwd)
    return done.returncode, done.stdout.decode("utf-8", "replace").strip()


def in_git_work_tree(root: Path) -> bool:
    """True when git's view of ``root`` comes from a repository: its own, or one it is part of.

    A folder inside someone else's repository that ignores it (a dotfiles repo in $HOME, a .venv in a
    project) is read as a plain folder: that repository would show none of its files.
    """
    done = run_local(["rev-parse", "--show-toplevel"], root)
    if done.returncode != 0:
        return False
    top = Path(done.stdout.decode("utf-8", "surrogateescape").strip()).resolve()
    here = Path(root).resolve()
    if top == here:
        return True
    relative = here.relative_to(top).as_posix() + "/"
    return run_local(["check-ignore", "-q", "--", relative], top).returncode != 0


class Stalled(SourceError):
    """git showed no progress for the whole deadline; the caller names the host."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no progress for {seconds:g} s")
        self.seconds = seconds


def run_git(args: list[str], *, env: dict[str, str], cancel: CancelToken, cwd: Path | None = None,
            on_line=None, timeout: float | None = None, options: tuple[str, ...] = ()) -> tuple[int, str, list[str]]:
    """Run git (``args`` after the program name) in ``env`` (``git_env``), polling ``cancel``; returns
    (exit code, stdout, stderr lines other than progress). ``on_line`` sees every stderr line as it comes.

    ``timeout``: end it (raising Stalled) once it has written nothing for that many seconds."""
    try:
        process = subprocess.Popen(_command(args, env, options), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=(os.name == "posix"),
                                   creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
    except FileNotFoundError as exc:
        raise SourceError(NOT_INSTALLED) from exc
    out: list[bytes] = []
    lines: list[str] = []
    last_output = [time.monotonic()]

    def read_stdout() -> None:
        while chunk := process.stdout.read1(65536):
            out.append(chunk)
            last_output[0] = time.monotonic()

    def read_stderr() -> None:
        buffer = b""
        while chunk := process.stderr.read1(4096):
            last_output[0] = time.monotonic()
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

    def stop(error: BaseException) -> None:
        kill_tree(process)  # git's helpers (ssh, remote-https, index-pack) too
        process.wait()
        for reader in readers:
            reader.join(timeout=1)
        raise error

    while process.poll() is None:
        if cancel.wait(0.1):
            stop(Cancelled())
        if timeout and time.monotonic() - last_output[0] > timeout:
            stop(Stalled(timeout))
    for reader in readers:
        reader.join(timeout=5)  # a leftover grandchild must not hold us on its copy of the pipe
    return process.returncode, b"".join(out).decode("utf-8", "replace"), lines


def progress_reporter(task: Task):
    """An ``on_line`` for ``run_git`` that turns git's --progress lines into the job's "clone" progress."""
    meters: dict[str, StageMeter] = {}

    def on_line(line: str) -> None:
        match = _PROGRESS_RE.match(line)
        if not match:
            return
        phase, done, total = match.group(1), int(match.group(2)), int(match.group(3))
        meter = meters.get(phase)
        if meter is None:
            meter = meters[phase] = task.meter("clone", total, _PHASE_UNITS[phase])
        meter.total = total
        if done > meter.done:
            meter.advance(done - meter.done, phase.lower())
        if done == total:
            meter.flush()

    return on_line
