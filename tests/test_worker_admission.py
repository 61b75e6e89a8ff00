"""Which repository URLs a queued cloud job may name (engine/worker/admission.py): a pure decision, each case a
plain test. The resolver is a parameter, so a host name's addresses are whatever the case says."""

from __future__ import annotations

import pytest

from pharos_desktop.engine.settings import Settings
from pharos_desktop.engine.source.spec import LOCAL_REFUSED
from pharos_desktop.engine.worker.admission import NOT_PUBLIC, PLAIN_TEXT, SSH_OFF, JobRefused, admit, is_public

PUBLIC = "140.82.112.3"
DNS = {"github.com": [PUBLIC], "gitlab.example.org": ["2a00:1450:4001:80b::200e"],
       "intranet.example.org": ["10.0.0.7"], "split.example.org": [PUBLIC, "192.168.1.2"],
       "mapped.example.org": ["::ffff:127.0.0.1"], "localhost": ["127.0.0.1", "::1"]}


def resolve(host: str, port: int) -> list[str]:
    return DNS.get(host, [host] if host.replace(".", "").isdigit() or ":" in host else [])


def settings(**changes) -> Settings:
    made = Settings()
    for name, value in changes.items():
        setattr(made, name, value)
    return made


def refused(url: str, **changes) -> str:
    with pytest.raises(JobRefused) as raised:
        admit(url, settings(**changes), resolve)
    return str(raised.value)


def test_a_public_https_repository_is_admitted_and_pinned_to_the_addresses_checked():
    admitted = admit("https://github.com/pallets/markupsafe", settings(), resolve)
    assert admitted.spec.location == "https://github.com/pallets/markupsafe"
    assert admitted.pins == (f"github.com:443:{PUBLIC}",)
    ipv6 = admit("https://gitlab.example.org:8443/group/repo.git", settings(), resolve)
    assert ipv6.pins == ("gitlab.example.org:8443:[2a00:1450:4001:80b::200e]",)


def test_a_url_without_a_scheme_means_https_as_it_does_to_the_cloud():
    assert admit("github.com/pallets/markupsafe", settings(), resolve).spec.location == \
        "https://github.com/pallets/markupsafe"
    assert refused("etc") == "refused: not a repository URL (no repository path): https://etc"


@pytest.mark.parametrize("url", ["/home/user/private", "~/private", "./etc", "../etc", "file:///etc",
                                 "FILE:///etc", "C:\\Users\\me\\code", "c:/Users/me/code", "\\\\server\\share"])
def test_a_local_path_is_never_admitted(url):
    assert refused(url) == LOCAL_REFUSED


@pytest.mark.parametrize("url", ["https://127.0.0.1/r.git", "https://localhost/r.git", "https://[::1]/r.git",
                                 "https://169.254.169.254/latest", "https://10.0.0.1/r.git",
                                 "https://intranet.example.org/r.git", "https://split.example.org/r.git",
                                 "https://mapped.example.org/r.git", "https://no-such-host.invalid/r.git",
                                 "https://100.64.0.1/r.git", "https://[fd00::1]/r.git", "https://0.0.0.0/r.git"])
def test_this_machines_networks_and_unknown_names_are_refused_with_one_reason(url):
    assert refused(url) == NOT_PUBLIC


def test_a_trusted_private_server_is_admitted_unpinned_and_may_use_plain_protocols():
    trusted = {"trusted_git_hosts": ["Intranet.Example.org"]}
    for url in ("https://intranet.example.org/r.git", "http://intranet.example.org/r.git",
                "git://intranet.example.org/r.git"):
        assert admit(url, settings(**trusted), resolve).pins == ()


def test_plain_protocols_to_anyone_else_are_refused():
    assert refused("http://github.com/o/r") == PLAIN_TEXT.format(scheme="http")
    assert refused("git://github.com/o/r") == PLAIN_TEXT.format(scheme="git")


def test_ssh_only_when_the_user_allows_it_and_still_only_to_public_hosts():
    for url in ("ssh://git@github.com/o/r.git", "git@github.com:o/r.git", "git+ssh://github.com/o/r"):
        assert refused(url) == SSH_OFF
        assert admit(url, settings(worker_allow_ssh=True), resolve).pins == ()
    assert refused("git@intranet.example.org:o/r.git", worker_allow_ssh=True) == NOT_PUBLIC


def test_credentials_are_dropped_from_what_git_is_given():
    admitted = admit("https://bob:SECRET@github.com/o/r.git", settings(), resolve)
    assert "SECRET" not in admitted.spec.location and "bob" not in admitted.spec.location


@pytest.mark.parametrize("url", ["ext::sh -c touch% /tmp/pwned", "-uhttps://github.com/o/r", "https://-oProxy/x"])
def test_what_git_could_run_or_read_as_an_option_is_refused(url):
    assert refused(url).startswith("refus")


def test_public_addresses():
    assert is_public("140.82.112.3") and is_public("2a00:1450:4001:80b::200e")
    assert not any(is_public(a) for a in ("127.0.0.1", "::1", "10.1.1.1", "172.16.0.1", "192.168.0.1",
                                          "169.254.1.1", "fe80::1", "fd12::1", "::ffff:10.0.0.1", "224.0.0.1"))
