"""Test connection and the failures a user must be able to fix: token, URL, cold start, unreachable."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from pharos_desktop.cli import main
from pharos_desktop.engine.errors import CloudError
from pharos_desktop.engine.run.events import JobFailed
from pharos_desktop.tools.fake_cloud import CloudServer
from tests.conftest import free_port
from tests.sync_support import TOKEN, assert_cloud_matches, make_syncer, run_sync


def check(syncer, on_waiting=None):
    return asyncio.run(syncer.test_connection(on_waiting))


def test_connection_ok(index, cloud):
    report = check(make_syncer(index, cloud))
    assert report.status == "ok" and cloud.url in report.message


def test_no_token(index, cloud):
    report = check(make_syncer(index, cloud, token=""))
    assert report.status == "no_token" and "Settings" in report.message
    with pytest.raises(CloudError, match="no cloud token"):
        run_sync(make_syncer(index, cloud, token=""))


def test_wrong_token_is_named_and_never_shown(index, cloud, caplog):
    secret = "wrong-secret-token-987654"
    report = check(make_syncer(index, cloud, token=secret))
    assert report == type(report)("bad_token", "the cloud refused the token: check it in Settings")
    events: list = []
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CloudError) as raised:
        run_sync(make_syncer(index, cloud, token=secret), events=events)
    assert str(raised.value) == "the cloud refused the token: check it in Settings"
    failed = [e for e in events if isinstance(e, JobFailed)]
    assert failed and failed[0].message == str(raised.value)
    assert secret not in repr(events) + caplog.text + repr(raised.value.__cause__)
    assert cloud.count("POST", "/api/resources") == 0


@pytest.mark.parametrize("mode", ["html", "other_api"])
def test_not_a_pharos_api(index, mode):
    server = CloudServer(token=TOKEN, mode=mode).start()
    try:
        report = check(make_syncer(index, server))
        assert report.status == "not_pharos" and "is not a Pharos API: check the API URL" in report.message
        with pytest.raises(CloudError, match="is not a Pharos API: check the API URL"):
            run_sync(make_syncer(index, server))
    finally:
        server.stop()


def test_waking_service_reports_while_waiting(index, cloud):
    cloud.cold_start(2.0)
    waits: list[float] = []
    report = check(make_syncer(index, cloud), waits.append)
    assert report.status == "ok"
    assert len(waits) >= 2 and 1.0 <= waits[-1] < 2.5


def test_still_asleep_after_the_wait_limit(index, cloud):
    cloud.cold_start(3.0)
    report = check(make_syncer(index, cloud, wake_timeout=1.0))
    assert report.status == "waking" and "waking up" in report.message


def test_sync_waits_through_a_cold_start(index, cloud, monkeypatch):
    cloud.cold_start(1.5)
    monkeypatch.setattr("pharos_desktop.engine.sync.syncer.WAKING_NOTICE_SECONDS", 0.5)
    events: list = []
    assert run_sync(make_syncer(index, cloud), events=events).created == 20
    assert any("waking up" in getattr(e, "text", "") for e in events)
    assert_cloud_matches(cloud, index.catalog)


def test_unreachable(index):
    url = f"http://127.0.0.1:{free_port()}"
    report = check(make_syncer(index, url))
    assert report.status == "unreachable" and url in report.message
    with pytest.raises(CloudError, match="cannot reach the Pharos cloud"):
        run_sync(make_syncer(index, url, retries=1))
    assert check(make_syncer(index, "ftp://example.com")).status == "not_pharos"


def test_cli_sync(index, cloud, monkeypatch, capsys):
    monkeypatch.setenv("PHAROS_TOKEN", TOKEN)
    assert main(["sync", "--api-url", cloud.url, "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert list(out) == ["created", "updated", "deleted", "unchanged", "failed", "chunks", "failures", "notice",
                         "repaired"]
    assert {k: out[k] for k in ("created", "updated", "deleted", "unchanged", "failed", "chunks")} == {
        "created": 20, "updated": 0, "deleted": 0, "unchanged": 0, "failed": 0, "chunks": 49}
    # the full fetch queue is a notice, said once, not an error
    assert out["notice"].startswith("Your files are published")
    assert captured.err.count("fetch queue is full") == 1
    assert main(["sync", "--repo", "notes", "--api-url", cloud.url]) == 0
    assert "6 unchanged" in capsys.readouterr().out
    monkeypatch.setenv("PHAROS_TOKEN", "nope")
    assert main(["sync", "--api-url", cloud.url]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "pharos-desktop: the cloud refused the token: check it in Settings"
    monkeypatch.setenv("PHAROS_TOKEN", TOKEN)
    cloud.fail(100, 422, method="POST", path="/api/resources", match=lambda b: "notes/n1" in b.get("url", ""),
               detail=[{"loc": ["body", "url"], "msg": "bad"}])
    index.catalog.delete_files("fedcba9876543210", ["notes/n1.go"])  # deleted ...
    from tests.sync_support import put_file
    put_file(index.catalog, "fedcba9876543210", "notes/n1.go", language="go", version="v9")  # ... and changed
    assert main(["sync", "--api-url", cloud.url]) == 1
    assert "notes/n1.go" in capsys.readouterr().err
