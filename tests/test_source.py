"""Sources: parsing what users type, cloning over file:// and local smart HTTP, tokens, errors, cancel."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import git
import pytest

from pharos_desktop.engine.run.cancel import CancelToken
from pharos_desktop.engine.errors import AuthRequired, Cancelled, SourceError, UnsafeSource
from pharos_desktop.engine.run.events import StageMessage, StageProgress
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.source import (Checkout, GitAccess, SourceSpec, file_url_path, open_source,
                                          parse_source)
from pharos_desktop.tools.sample_repos import add_commit, init_repo

from .git_server import GitServer, basic
from .repo_factory import make_sample_repo

pytestmark = pytest.mark.usefixtures("hermetic_git")  # shared fixture: tests/conftest.py

TOKEN = "ghp_SuperSecretToken0123456789abcdef"


def open_it(spec: SourceSpec, clones: Path, branch: str | None = None, token: str = "",
            cancel: CancelToken | None = None, events: list | None = None,
            hosts: tuple[str, ...] = ("127.0.0.1",), timeout: float = 60) -> Checkout:
    sink = events if events is not None else []
    return open_source(spec, branch, clones, access=GitAccess(token, hosts, timeout),
                       task=Task("ingest", sink.append, cancel or CancelToken(), "job"))


def head(path: Path) -> str:
    return git.Repo(path).head.commit.hexsha


# -- parsing -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, location, name, web_base, host", [
    ("https://github.com/pallets/flask", "https://github.com/pallets/flask", "flask",
     "https://github.com/pallets/flask", "github.com"),
    ("https://github.com/pallets/flask.git/", "https://github.com/pallets/flask.git", "flask",
     "https://github.com/pallets/flask", "github.com"),
    ("https://GitHub.com/pallets/flask/tree/main/src", "https://github.com/pallets/flask", "flask",
     "https://github.com/pallets/flask", "github.com"),
    ("github.com/pallets/flask", "https://github.com/pallets/flask", "flask", "https://github.com/pallets/flask",
     "github.com"),
    ("git@github.com:pallets/flask.git", "git@github.com:pallets/flask.git", "flask",
     "https://github.com/pallets/flask", "github.com"),
    ("ssh://git@gitlab.com/group/sub/tool.git", "ssh://git@gitlab.com/group/sub/tool.git", "tool",
     "https://gitlab.com/group/sub/tool", "gitlab.com"),
    ("https://gitlab.com/group/tool/-/tree/main", "https://gitlab.com/group/tool", "tool",
     "https://gitlab.com/group/tool", "gitlab.com"),
    ("git@gitlab.com:group/tool.git", "git@gitlab.com:group/tool.git", "tool", "https://gitlab.com/group/tool",
     "gitlab.com"),
    ("http://git.example.org:8080/team/app.git", "http://git.example.org:8080/team/app.git", "app", None,
     "git.example.org"),
    ("git://example.org/project", "git://example.org/project", "project", None, "example.org"),
])
def test_parse_remote_forms(text, location, name, web_base, host):
    spec = parse_source(text)
    assert (spec.kind, spec.location, spec.display, spec.name, spec.web_base, spec.host) == (
        "remote", location, location, name, web_base, host)
    assert len(spec.repo_id) == 16 and int(spec.repo_id, 16) >= 0
    assert not spec.credentials_stripped


def test_repo_id_is_stable_and_branch_aware():
    a = parse_source("https://github.com/pallets/flask")
    assert a.repo_id == parse_source("  https://github.com/pallets/flask.git ").repo_id
    assert a.repo_id != parse_source("https://github.com/pallets/click").repo_id
    assert a.repo_id != parse_source("https://github.com/pallets/flask", branch="develop").repo_id


def test_credentials_in_urls_are_stripped():
    spec = parse_source(f"https://someone:{TOKEN}@github.com/acme/private.git")
    assert spec.credentials_stripped
    assert TOKEN not in repr(spec) and "someone" not in repr(spec)
    assert spec.location == "https://github.com/acme/private.git"
    ssh = parse_source("ssh://git:hunter2@example.org/repo.git")
    assert ssh.location == "ssh://git@example.org/repo.git" and ssh.credentials_stripped


def test_parse_local_folders(tmp_path, monkeypatch):
    folder = tmp_path / "my project"
    folder.mkdir()
    spec = parse_source(str(folder))
    assert (spec.kind, spec.location, spec.name, spec.web_base, spec.host) == ("local", str(folder), "my project",
                                                                               None, None)
    monkeypatch.chdir(tmp_path)
    assert parse_source("./my project").location == str(folder)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_source("~/my project").location == str(folder)
    file_url = parse_source(folder.as_uri())
    assert file_url.kind == "remote" and file_url.location == folder.as_uri() and file_url.name == "my project"


def test_file_url_with_a_host_keeps_it():
    """file://server/share/x is a network share: a UNC path on Windows, never the local /share/x."""
    assert file_url_path("server", "/share/team%20repo", windows=True) == "\\\\server\\share\\team repo"
    assert file_url_path("", "/C:/work/repo", windows=True) == "C:/work/repo"
    assert file_url_path("localhost", "/srv/repo", windows=False) == "/srv/repo"
    with pytest.raises(SourceError, match="network share on server: mount it"):
        file_url_path("server", "/share/repo", windows=False)
    with pytest.raises(SourceError, match="network share on server"):
        parse_source("file://server/share/repo")


@pytest.mark.parametrize("text", [
    "ext::sh -c touch% /tmp/pwned", "fd::3", "EXT::sh", "transport::anything", "-uhoh", "--upload-pack=touch x",
    "ssh://-oProxyCommand=touch%20x/repo", "-oProxyCommand=x:repo", "https://github.com/a/b\nfoo",
])
def test_unsafe_sources_are_refused(text):
    with pytest.raises(UnsafeSource, match="refus"):
        parse_source(text)


def test_unclear_sources_fail_clearly(tmp_path):
    with pytest.raises(SourceError, match="no source"):
        parse_source("   ")
    with pytest.raises(SourceError, match="does not exist"):
        parse_source(str(tmp_path / "nowhere"))
    with pytest.raises(SourceError, match="does not exist"):
        parse_source((tmp_path / "nowhere").as_uri())
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(SourceError, match="not a folder"):
        parse_source(str(tmp_path / "file.txt"))
    with pytest.raises(SourceError, match="not a URL or folder: hello"):
        parse_source("hello")
    with pytest.raises(SourceError, match="unsupported URL scheme"):
        parse_source("ftp://example.org/repo.git")
    with pytest.raises(SourceError, match="no repository path"):
        parse_source("https://github.com/")


# -- cloning over file:// ----------------------------------------------------------------------

@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    return make_sample_repo(tmp_path / "upstream")


def test_clone_is_shallow_with_progress(upstream, tmp_path):
    add_commit(upstream, {"pkg/second.py": "def second():\n    return 2\n"}, "second commit")
    clones = tmp_path / "clones"
    spec = parse_source(upstream.as_uri())
    events = []
    checkout = open_it(spec, clones, events=events)
    assert checkout == Checkout(clones / spec.repo_id, head(upstream), "main", True)
    assert (checkout.path / "pkg/second.py").exists() and (checkout.path / "src/日本語.py").exists()
    assert (checkout.path / ".git" / "shallow").exists()
    assert git.Repo(checkout.path).git.rev_list("--count", "HEAD") == "1"
    assert git.Repo(checkout.path).tags == []
    progress = [e for e in events if isinstance(e, StageProgress)]
    assert progress and all(e.stage == "clone" for e in progress)
    assert any(e.unit == "objects" and e.done == e.total for e in progress)
    assert any(isinstance(e, StageMessage) and "depth 1" in e.text for e in events)
    assert sorted(p.name for p in clones.iterdir()) == [spec.repo_id]  # no temp folder left behind


def test_reopen_updates_the_existing_clone(upstream, tmp_path):
    clones = tmp_path / "clones"
    spec = parse_source(upstream.as_uri())
    first = open_it(spec, clones)
    (first.path / "junk.txt").write_text("left by a crash")
    (first.path / "pkg/core.py").write_text("edited in the clone")
    marker = (first.path / ".git" / "marker")
    marker.write_text("same clone")
    new = add_commit(upstream, {"pkg/util.py": None, "pkg/added.py": "def added():\n    pass\n"}, "upstream change")
    events = []
    second = open_it(spec, clones, events=events)
    assert second.path == first.path and second.commit == new != first.commit and second.branch == "main"
    assert marker.exists()  # updated in place, not cloned again
    assert any(isinstance(e, StageMessage) and "updating" in e.text for e in events)
    assert (second.path / "pkg/added.py").exists() and not (second.path / "pkg/util.py").exists()
    assert not (second.path / "junk.txt").exists()
    assert (second.path / "pkg/core.py").read_text() == (upstream / "pkg/core.py").read_text()


def test_branch_is_cloned_and_missing_branch_named(upstream, tmp_path):
    repo = git.Repo(upstream)
    repo.git.checkout("-q", "-b", "develop")
    develop = add_commit(upstream, {"feature.py": "def feature():\n    pass\n"}, "feature")
    repo.git.checkout("-q", "main")
    clones = tmp_path / "clones"
    spec = parse_source(upstream.as_uri(), branch="develop")
    checkout = open_it(spec, clones, branch="develop")
    assert (checkout.commit, checkout.branch) == (develop, "develop") and (checkout.path / "feature.py").exists()
    # The same folder moved back to the default branch (as the ingest does with an id without branch).
    back = open_it(spec, clones)
    assert (back.commit, back.branch) == (head(upstream), "main") and not (back.path / "feature.py").exists()
    with pytest.raises(SourceError, match="branch 'nope' not found") as raised:
        open_it(parse_source(upstream.as_uri(), branch="nope"), clones, branch="nope")
    assert "\n" not in str(raised.value)
    with pytest.raises(SourceError, match="branch 'nope' not found"):
        open_it(spec, clones, branch="nope")  # through the update path too
    assert not [p for p in clones.iterdir() if ".tmp-" in p.name]
    assert open_it(spec, clones, branch="").branch == "main"  # an empty field: the default branch
    for bad in ("--upload-pack=touch x", "a b", "x..y"):
        with pytest.raises(SourceError, match="not a valid branch name"):
            open_it(spec, clones, branch=bad)


def test_clone_replaces_a_folder_that_is_not_our_clone(upstream, tmp_path):
    clones = tmp_path / "clones"
    spec = parse_source(upstream.as_uri())
    stale = clones / spec.repo_id
    (stale / "half").mkdir(parents=True)
    (clones / f".{spec.repo_id}.tmp-dead").mkdir()  # left by a killed run
    checkout = open_it(spec, clones)
    assert checkout.commit == head(upstream) and not (stale / "half").exists()
    assert sorted(p.name for p in clones.iterdir()) == [spec.repo_id]


def test_not_a_repository(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    with pytest.raises(SourceError, match="repository not found"):
        open_it(parse_source(folder.as_uri()), tmp_path / "clones")


# -- local folders -----------------------------------------------------------------------------

def test_local_checkout_is_read_in_place(upstream, tmp_path):
    spec = parse_source(str(upstream))
    checkout = open_it(spec, tmp_path / "clones")
    assert checkout == Checkout(upstream, head(upstream), "main", False)
    assert open_it(spec, tmp_path / "clones", branch="main").commit == head(upstream)
    with pytest.raises(SourceError, match="read as they are on disk"):
        open_it(spec, tmp_path / "clones", branch="develop")
    assert not (tmp_path / "clones").exists()
    inside = upstream / "build_output" / "project"  # ignored by the enclosing repository
    inside.mkdir(parents=True)
    assert open_it(parse_source(str(inside)), tmp_path / "clones") == Checkout(inside, "", "", False)
    assert open_it(parse_source(str(upstream / "pkg")), tmp_path / "clones").commit == head(upstream)


def test_plain_folder_and_unborn_repository(tmp_path):
    plain = tmp_path / "plain"
    (plain / "src").mkdir(parents=True)
    assert open_it(parse_source(str(plain)), tmp_path / "clones") == Checkout(plain, "", "", False)
    with pytest.raises(SourceError, match="read as they are on disk"):
        open_it(parse_source(str(plain)), tmp_path / "clones", branch="main")
    fresh = tmp_path / "fresh"
    init_repo(fresh)
    assert open_it(parse_source(str(fresh)), tmp_path / "clones") == Checkout(fresh, "", "main", False)


# -- smart HTTP: tokens, auth failures, unreachable hosts, cancel ------------------------------

class _Server:
    def __init__(self, handler) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(upstream, tmp_path) -> Path:
    root = tmp_path / "served"
    root.mkdir()
    git.Repo.clone_from(upstream, root / "private.git", bare=True)
    return root


@pytest.fixture
def private_server(served, tls):
    server = GitServer(served, token=TOKEN, tls=tls)
    yield server
    server.close()


@pytest.fixture
def argv_log(monkeypatch):
    """Every command line and environment the engine starts, to prove where the token goes."""
    calls: list[tuple[list[str], dict]] = []
    real = subprocess.Popen

    def recording(args, *rest, **kwargs):
        calls.append((list(args), dict(kwargs.get("env") or {})))
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", recording)
    return calls


def test_token_travels_only_in_the_environment(private_server, upstream, tmp_path, argv_log):
    clones = tmp_path / "clones"
    spec = parse_source(private_server.url + "/private.git")
    events = []
    checkout = open_it(spec, clones, token=TOKEN, events=events)
    assert checkout.commit == head(upstream)
    assert basic("x-access-token", TOKEN) in private_server.seen  # the credential helper answered from the environment
    again = open_it(spec, clones, token=TOKEN)  # the update path authenticates the same way
    assert again.commit == checkout.commit
    for config in (checkout.path / ".git").rglob("*"):
        if config.is_file():
            assert TOKEN.encode() not in config.read_bytes(), config
    assert (checkout.path / ".git" / "config").read_text().count(spec.location) == 1
    assert argv_log and not any(TOKEN in arg for args, _ in argv_log for arg in args)
    git_envs = [env for args, env in argv_log if env.get("PHAROS_GIT_CREDENTIAL")]
    assert git_envs and all(env["PHAROS_GIT_CREDENTIAL"] == TOKEN for env in git_envs)
    assert not any(TOKEN in repr(event) for event in events)


def test_auth_failure_is_fast_and_never_prompts(private_server, tmp_path):
    spec = parse_source(private_server.url + "/private.git")
    started = time.monotonic()
    with pytest.raises(AuthRequired, match="authentication required for .*PHAROS_GIT_TOKEN") as without:
        open_it(spec, tmp_path / "clones")
    assert time.monotonic() - started < 10
    assert spec.display in str(without.value)
    wrong = "ghp_WrongToken999999999999"
    with pytest.raises(AuthRequired) as refused:
        open_it(spec, tmp_path / "clones", token=wrong)
    assert wrong not in str(refused.value) and "refused" in str(refused.value)
    assert not [p for p in (tmp_path / "clones").iterdir()]


def test_unreachable_host(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    spec = parse_source(f"http://127.0.0.1:{port}/team/repo.git")
    with pytest.raises(SourceError, match="cannot reach 127.0.0.1") as raised:
        open_it(spec, tmp_path / "clones", token=TOKEN)
    assert not isinstance(raised.value, AuthRequired) and TOKEN not in str(raised.value)


def test_cancel_stops_a_stalled_clone_within_a_second(tmp_path):
    release = threading.Event()

    class Stall(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            release.wait(30)  # a server that accepts and never answers

        def log_message(self, *args) -> None:
            pass

    server = _Server(Stall)
    clones = tmp_path / "clones"
    cancel = CancelToken()
    outcome: dict = {}

    def run() -> None:
        try:
            open_it(parse_source(server.url + "/slow.git"), clones, cancel=cancel)
        except BaseException as exc:  # noqa: BLE001 - inspected below
            outcome["error"] = exc
            outcome["at"] = time.monotonic()

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(1.0)
    assert worker.is_alive()
    cancelled_at = time.monotonic()
    cancel.cancel()
    worker.join(timeout=5)
    release.set()
    server.close()
    assert isinstance(outcome.get("error"), Cancelled)
    assert outcome["at"] - cancelled_at < 1.0
    assert not list(clones.iterdir())  # the temp folder is gone
