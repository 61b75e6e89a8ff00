"""The git token goes only where it is for: over https, to the hosts named next to it, never to the
target of a redirect, never over plain http. Each server here is a real `git http-backend` that logs
every Authorization header it receives."""

from __future__ import annotations


import git
import pytest

from pharos_desktop.engine.errors import AuthRequired
from pharos_desktop.engine.run.task import Task
from pharos_desktop.engine.source import GitAccess, open_source, parse_source

from .cli_support import cli
from .git_server import basic
from .repo_factory import make_sample_repo

pytestmark = pytest.mark.usefixtures("hermetic_git")  # shared fixture: tests/conftest.py

TOKEN = "ghp_ScopedToken0123456789abcdefABCDEF"


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    git.Repo.clone_from(make_sample_repo(tmp_path / "upstream"), root / "private.git", bare=True)
    return root


def clone(url: str, tmp_path, hosts: tuple[str, ...]):
    return open_source(parse_source(url), None, tmp_path / "clones", access=GitAccess(TOKEN, hosts),
                       task=Task("ingest", job_id="job"))


def test_token_reaches_a_host_it_is_for_over_https(served, tls, git_servers, tmp_path):
    server = git_servers(served, token=TOKEN, tls=tls)
    checkout = clone(server.url + "/private.git", tmp_path, ("127.0.0.1",))
    assert checkout.commit
    assert basic("x-access-token", TOKEN) in server.credentials  # the control: the scope lets it through


def test_plain_http_never_receives_the_token(served, git_servers, tmp_path):
    server = git_servers(served, token=TOKEN)
    with pytest.raises(AuthRequired, match="only ever sent over https") as raised:
        clone(server.url + "/private.git", tmp_path, ("127.0.0.1",))
    assert server.seen and server.credentials == []
    assert TOKEN not in str(raised.value)


def test_a_host_the_token_is_not_for_receives_nothing(served, tls, git_servers, tmp_path):
    server = git_servers(served, token=TOKEN, tls=tls)
    with pytest.raises(AuthRequired, match="only sent to github.com; add 127.0.0.1"):
        clone(server.url + "/private.git", tmp_path, ("github.com",))
    assert server.seen and server.credentials == []


def test_a_redirect_to_another_host_receives_nothing(served, tls, git_servers, tmp_path):
    elsewhere = git_servers(served, token=TOKEN, tls=tls, host="127.0.0.2")
    trusted = git_servers(None, tls=tls, redirect_to=elsewhere.url)
    with pytest.raises(AuthRequired, match="redirected to https://127.0.0.2") as raised:
        clone(trusted.url + "/private.git", tmp_path, ("127.0.0.1",))
    assert elsewhere.seen, "git followed the redirect"
    assert elsewhere.credentials == [] and trusted.credentials == []
    assert TOKEN not in str(raised.value)


def test_cli_keeps_the_token_from_plain_http(served, git_servers, tmp_path):
    """Through the settings: PHAROS_GIT_TOKEN scoped to this host still never goes over http."""
    server = git_servers(served, token=TOKEN)
    done = cli("ingest", server.url + "/private.git", home=tmp_path / "home", timeout=120,
               env={"PHAROS_GIT_TOKEN": TOKEN, "PHAROS_GIT_TOKEN_HOSTS": "127.0.0.1"})
    assert done.returncode == 1
    assert server.seen and server.credentials == []
    last = done.stderr.strip().splitlines()[-1]
    assert "only ever sent over https" in last and "Traceback" not in done.stderr
