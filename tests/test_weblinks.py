"""Web links: a repository's page from its remote URL, a file at a ref, a line range, for each host;
and the window, the cloud mapping and the source parser all getting them from that one place."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pharos_desktop.engine.index.catalog import ChunkRecord, RepoRecord
from pharos_desktop.engine.source import parse_source
from pharos_desktop.engine.sync import mapping
from pharos_desktop.engine.weblinks import blob_url, web_base

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("remote, base", [
    # GitHub, and GitHub Enterprise on its own host
    ("https://github.com/pallets/flask", "https://github.com/pallets/flask"),
    ("https://github.com/pallets/flask.git", "https://github.com/pallets/flask"),
    ("http://github.com/pallets/flask.git", "https://github.com/pallets/flask"),
    ("git@github.com:pallets/flask.git", "https://github.com/pallets/flask"),
    ("ssh://git@github.com/pallets/flask.git", "https://github.com/pallets/flask"),
    ("https://github.com/pallets/flask/tree/main/src", "https://github.com/pallets/flask"),
    ("https://github.example.com/team/app.git", "https://github.example.com/team/app"),
    # GitLab: subgroups, browse URLs, self-hosted with a web port, an ssh port, plain http
    ("https://gitlab.com/group/sub/tool.git", "https://gitlab.com/group/sub/tool"),
    ("git@gitlab.com:group/sub/tool.git", "https://gitlab.com/group/sub/tool"),
    ("https://gitlab.com/group/tool/-/tree/main/src", "https://gitlab.com/group/tool"),
    ("https://gitlab.example.com:8443/team/sub/app.git", "https://gitlab.example.com:8443/team/sub/app"),
    ("ssh://git@gitlab.example.com:2222/team/app.git", "https://gitlab.example.com/team/app"),
    ("git@gitlab.example.com:team/app.git", "https://gitlab.example.com/team/app"),
    ("http://gitlab.internal/team/app", "http://gitlab.internal/team/app"),
    # Bitbucket Cloud
    ("https://bitbucket.org/team/app.git", "https://bitbucket.org/team/app"),
    ("git@bitbucket.org:team/app.git", "https://bitbucket.org/team/app"),
    ("https://bitbucket.org/team/app/src/main/README.md", "https://bitbucket.org/team/app"),
    # hosts whose URL layout we do not know, and things that are not hosted at all: no link
    ("https://git.example.org:8080/team/app.git", None),
    ("git://example.org/project", None),
    ("git@mygitlab.example.com:team/app.git", None),  # a label, not a substring, names the host
    ("https://codeberg.org/team/app", None),
    ("https://github.com/justanowner", None),
    ("file:///srv/git/app.git", None),
    ("/srv/git/app", None),
])
def test_web_base_from_a_remote_url(remote, base):
    assert web_base(remote) == base


@pytest.mark.parametrize("base, start, end, url", [
    ("https://github.com/o/r", 3, 7, f"https://github.com/o/r/blob/{SHA}/src/a%20b.py#L3-L7"),
    ("https://github.com/o/r", 3, None, f"https://github.com/o/r/blob/{SHA}/src/a%20b.py#L3"),
    ("https://github.com/o/r", None, None, f"https://github.com/o/r/blob/{SHA}/src/a%20b.py"),
    ("https://github.example.com/o/r", 3, 7, f"https://github.example.com/o/r/blob/{SHA}/src/a%20b.py#L3-L7"),
    ("https://gitlab.com/g/sub/p", 3, 7, f"https://gitlab.com/g/sub/p/-/blob/{SHA}/src/a%20b.py#L3-7"),
    ("https://gitlab.example.com:8443/g/p", 3, None,
     f"https://gitlab.example.com:8443/g/p/-/blob/{SHA}/src/a%20b.py#L3"),
    ("https://bitbucket.org/t/r", 3, 7, f"https://bitbucket.org/t/r/src/{SHA}/src/a%20b.py#lines-3:7"),
    ("https://bitbucket.org/t/r", 3, None, f"https://bitbucket.org/t/r/src/{SHA}/src/a%20b.py#lines-3"),
    # a GitHub owner called "gitlab" is still GitHub (the host decides, not a substring of the URL)
    ("https://github.com/gitlab/tool", 3, 7, f"https://github.com/gitlab/tool/blob/{SHA}/src/a%20b.py#L3-L7"),
    ("https://git.example.org/o/r", 3, 7, None),
])
def test_blob_url_and_line_anchor_per_host(base, start, end, url):
    assert blob_url(base, SHA, "src/a b.py", start, end) == url


def test_a_branch_keeps_its_slashes_and_quotes_the_rest():
    assert blob_url("https://github.com/o/r", "feat/x#2", "a.py") == "https://github.com/o/r/blob/feat/x%232/a.py"


@pytest.mark.parametrize("typed, base", [
    ("git@gitlab.example.com:team/sub/app.git", "https://gitlab.example.com/team/sub/app"),
    ("https://bitbucket.org/team/app/src/main/", "https://bitbucket.org/team/app"),
    ("ssh://git@github.example.com:2222/team/app.git", "https://github.example.com/team/app"),
])
def test_parsed_sources_carry_the_web_base(typed, base):
    spec = parse_source(typed)
    assert spec.web_base == base


def test_a_pasted_bitbucket_browse_url_clones_the_repository():
    spec = parse_source("https://bitbucket.org/team/app/src/main/README.md")
    assert spec.location == "https://bitbucket.org/team/app" and spec.name == "app"


GITHUB = RepoRecord("r1", "demo", "https://github.com/acme/demo", "remote", web_base="https://github.com/acme/demo",
                    branch="main", commit="c" * 40)
CHUNK = ChunkRecord("id", "r1", "src/a.py", 0, "function", "f", "python", 3, 7, "", "", [], "code", "")


def test_cloud_urls_per_host():
    assert mapping.file_url(GITHUB, "src/a.py") == "https://github.com/acme/demo/blob/main/src/a.py"
    meta = mapping.chunk_body(GITHUB, CHUNK, send_source=False)["chunk_metadata"]
    assert meta["github_uri"] == "https://github.com/acme/demo/blob/main/src/a.py#L3-L7"
    gitlab = replace(GITHUB, web_base="https://gitlab.example.com/g/sub/p")
    assert mapping.chunk_body(gitlab, CHUNK, send_source=False)["chunk_metadata"]["github_uri"] == (
        "https://gitlab.example.com/g/sub/p/-/blob/main/src/a.py#L3-7")
    bitbucket = replace(GITHUB, web_base="https://bitbucket.org/t/r")
    assert mapping.file_url(bitbucket, "src/a.py") == "https://bitbucket.org/t/r/src/main/src/a.py"
    # a web_base stored for a host we have no links for still gets a stable URL, and no chunk link
    unknown = replace(GITHUB, web_base="https://git.example.org/o/r")
    assert mapping.file_url(unknown, "src/a.py") == "https://pharos.local/repo/r1/src/a.py"
    assert mapping.chunk_body(unknown, CHUNK, send_source=False)["chunk_metadata"]["github_uri"] is None


def test_the_window_links_to_the_indexed_commit():
    from pharos_desktop.ui.code_view import web_url

    assert web_url(GITHUB, "src/a.py", 3, 7) == f"https://github.com/acme/demo/blob/{'c' * 40}/src/a.py#L3-L7"
    assert web_url(GITHUB, "src/a.py", 3, 3) == f"https://github.com/acme/demo/blob/{'c' * 40}/src/a.py#L3"
    gitlab = replace(GITHUB, web_base="https://gitlab.com/g/p")
    assert web_url(gitlab, "a.py", 3, 7) == f"https://gitlab.com/g/p/-/blob/{'c' * 40}/a.py#L3-7"
    assert web_url(replace(GITHUB, web_base=None), "a.py", 3, 7) is None
