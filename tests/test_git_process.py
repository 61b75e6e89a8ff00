"""How git runs: a silent ssh server is given up on within the deadline, the user's own ssh command is
kept (with our safety options added), long paths are on, and clones with read-only packs are deleted."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from pharos_desktop.engine.errors import SourceError
from pharos_desktop.engine.files.scan import scan_files
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.settings import Settings
from pharos_desktop.engine.source import GitAccess, open_source, parse_source

from .repo_factory import make_sample_repo


@pytest.fixture(autouse=True)
def hermetic_ssh(hermetic_git, monkeypatch, tmp_path):
    monkeypatch.delenv("GIT_SSH_COMMAND", raising=False)
    monkeypatch.delenv("GIT_SSH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ssh/config of the developer's


@pytest.fixture
def silent_ssh():
    """A TCP server that sends an ssh banner and then nothing, for ever (as the hung server did)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.sendall(b"SSH-2.0-x\r\n")
            held.append(conn)

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in held:
        conn.close()


def open_ssh(port: int, tmp_path: Path, timeout: float):
    spec = parse_source(f"ssh://git@127.0.0.1:{port}/x.git")
    return open_source(spec, None, tmp_path / "clones", access=GitAccess(timeout=timeout),
                       task=Task("ingest", job_id="job"))


def ssh_children() -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "ssh" in line and "127.0.0.1" in line and "ps -eo" not in line]


def test_a_silent_ssh_server_is_given_up_on_within_the_deadline(silent_ssh, tmp_path):
    started = time.monotonic()
    with pytest.raises(SourceError, match="127.0.0.1 stopped answering: no progress for 3 s") as raised:
        open_ssh(silent_ssh, tmp_path, timeout=3)
    assert time.monotonic() - started < 15
    assert len(str(raised.value).splitlines()) == 1
    assert not [p for p in (tmp_path / "clones").iterdir()]  # the temporary clone is gone
    assert not ssh_children()  # ssh ended with git


def test_the_cli_deadline_comes_from_the_environment(silent_ssh, tmp_path):
    from .cli_support import cli

    started = time.monotonic()
    done = cli("ingest", f"ssh://git@127.0.0.1:{silent_ssh}/x.git", home=tmp_path / "home", timeout=120,
               env={"PHAROS_GIT_TIMEOUT": "2"})
    assert done.returncode == 1 and time.monotonic() - started < 60
    assert "stopped answering: no progress for 2 s" in done.stderr.strip().splitlines()[-1]


def _wrapper(tmp_path: Path) -> tuple[Path, Path]:
    """An ssh command of the user's own: logs its arguments, then runs the real ssh."""
    log = tmp_path / "ssh-args.log"
    script = tmp_path / "my-ssh"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" >> {log}\nexec ssh \"$@\"\n")
    script.chmod(0o755)
    return script, log


@pytest.mark.parametrize("where", ["GIT_SSH_COMMAND", "core.sshCommand"])
def test_the_users_ssh_command_is_kept_with_our_safety_options(where, silent_ssh, tmp_path, monkeypatch):
    script, log = _wrapper(tmp_path)
    if where == "GIT_SSH_COMMAND":
        monkeypatch.setenv("GIT_SSH_COMMAND", f"{script} -o IdentitiesOnly=yes")
    else:
        config = tmp_path / "gitconfig"
        config.write_text(f"[core]\n\tsshCommand = {script} -o IdentitiesOnly=yes\n")
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    with pytest.raises(SourceError, match="stopped answering"):
        open_ssh(silent_ssh, tmp_path, timeout=2)
    args = log.read_text().splitlines()
    assert "IdentitiesOnly=yes" in args  # theirs
    assert {"BatchMode=yes", "ServerAliveInterval=15", "ServerAliveCountMax=3", "ConnectTimeout=20"} <= set(args)


def test_git_runs_with_long_paths_on(tmp_path, monkeypatch):
    calls: list[list[str]] = []
    real = subprocess.Popen

    def recording(args, *rest, **kwargs):
        calls.append(list(args))
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", recording)
    upstream = make_sample_repo(tmp_path / "upstream")
    open_source(parse_source(upstream.as_uri()), None, tmp_path / "clones", task=Task("ingest", job_id="j"))
    git_calls = [args for args in calls if args[0] == "git" and args[1] != "config"]
    assert git_calls and all("core.longpaths=true" in args for args in git_calls)


def _make_read_only(clone: Path) -> None:
    """As git leaves pack files, and more: read-only files in read-only folders."""
    for path in sorted(clone.rglob("*"), key=lambda p: -len(p.parts)):
        path.chmod(stat.S_IREAD | (stat.S_IEXEC if path.is_dir() else 0))


@pytest.fixture
def shared_tmp():
    """A folder an ordinary user can reach (pytest's own is private to root when tests run as root)."""
    folder = Path(tempfile.mkdtemp(prefix="pharos-ro-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_clone_with_read_only_packs_and_folders_is_deleted(shared_tmp, tmp_path):
    upstream = make_sample_repo(tmp_path / "upstream")
    clone = shared_tmp / "clones" / "c"
    subprocess.run(["git", "clone", "-q", "--depth", "1", upstream.as_uri(), str(clone)], check=True)
    assert list((clone / ".git" / "objects" / "pack").glob("*.pack"))
    _make_read_only(clone)
    # root ignores permissions: delete as an ordinary user, as the app runs, so they bite
    drop = "os.setgid(65534); os.setuid(65534); " if os.geteuid() == 0 else ""
    if drop:
        subprocess.run(["chown", "-R", "65534:65534", str(shared_tmp / "clones")], check=True)
    code = ("import os, sys; from pathlib import Path; from pharos_desktop.engine.source import remove_tree; "
            + drop + "remove_tree(Path(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, str(clone)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not clone.exists()


def test_without_git_cloning_and_scanning_say_so_in_one_line(tmp_path, monkeypatch):
    upstream = make_sample_repo(tmp_path / "upstream")
    (tmp_path / "no-git").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-git"))
    with pytest.raises(SourceError, match="^git is not installed or not on PATH; install git and try again$"):
        open_source(parse_source(upstream.as_uri()), None, tmp_path / "clones", task=Task("ingest", job_id="job"))
    with pytest.raises(SourceError, match="^git is not installed or not on PATH; install git and try again$"):
        scan_files(upstream, Settings(), task=Task("ingest", job_id="job"))


def test_git_is_started_only_by_engine_git():
    """One runner: no other engine module builds a git command line (its flags and environment would drift)."""
    import ast

    import pharos_desktop.engine as engine

    root = Path(engine.__file__).parent
    starts = []
    for module in root.rglob("*.py"):
        if module == root / "source" / "git.py":
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.List) and node.elts and isinstance(node.elts[0], ast.Constant)
                    and node.elts[0].value == "git"):
                starts.append(f"{module.relative_to(root)}:{node.lineno}")
    assert starts == []
