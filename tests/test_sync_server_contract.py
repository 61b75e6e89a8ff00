"""The fake cloud behaves like the real one: the same contract checks run against both.

The real service (shared/pharos-cloud) is the reference; the fake (pharos_desktop/tools/fake_cloud.py) exists only for
faults the real one cannot produce on demand. A check that passes on the real service and fails on the
fake is a bug in the fake.
"""

from __future__ import annotations

import httpx
import pytest

from pharos_desktop.tools.fake_cloud import CloudServer
from tests.sync_support import TOKEN


@pytest.fixture(params=["fake", "real"])
def server(request) -> tuple[str, str]:
    """(API URL, token) of a cloud with an empty account and an empty queue."""
    if request.param == "real":
        cloud = request.getfixturevalue("real_cloud")
        return cloud.api_url, cloud.token
    fake = CloudServer(token=TOKEN).start()
    request.addfinalizer(fake.stop)
    return fake.url, TOKEN


def test_auth_and_health(server):
    url, _ = server
    assert httpx.get(url + "/health").json() == {"status": "healthy", "service": "pharos-api"}
    bare = httpx.get(url + "/api/resources")
    assert (bare.status_code, bare.json(), bare.headers["WWW-Authenticate"]) == (
        401, {"detail": "Not authenticated"}, "Bearer")
    wrong = httpx.get(url + "/api/resources", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "Invalid authentication token")


def test_resources_chunks_and_the_capped_fetch_queue(server):
    url, token = server
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    first = api.post("/api/resources", json={"url": "https://GitHub.com/a/b", "title": "b", "extra": 1})
    assert first.status_code == 202 and set(first.json()) == {"id", "status", "title", "ingestion_status"}
    rid = first.json()["id"]
    # Idempotent on the URL: the same row, still pending (no worker), so 202 again. It queued a second job.
    again = api.post("/api/resources", json={"url": "https://github.com/a/b"})
    assert (again.status_code, again.json()["id"]) == (202, rid)
    assert api.get(f"/api/resources/{rid}").json()["url"] == "https://github.com/a/b"
    assert api.post("/api/resources", json={"title": "no url"}).status_code == 422
    assert api.post("/api/resources", json={"url": "https://x.org/untitled"}).json()["title"] == "Untitled"

    # 3 jobs queued so far; the 10th fills the queue, and from the 11th on the row is made but the POST fails.
    for n in range(7):
        assert api.post("/api/resources", json={"url": f"https://x.org/{n}"}).status_code == 202
    refused = api.post("/api/resources", json={"url": "https://x.org/late"})
    assert (refused.status_code, refused.json()) == (500, {"detail": "Failed to queue ingestion"})
    newest = api.get("/api/resources", params={"sort_by": "created_at", "sort_dir": "desc", "limit": 50}).json()
    assert "https://x.org/late" in [item["url"] for item in newest["items"]]  # the row WAS created
    assert api.post("/api/resources", json={"url": "https://x.org/late"}).status_code == 500  # and stays refused

    updated = api.put(f"/api/resources/{rid}", json={"subject": ["python", "src"], "coverage": "abc",
                                                     "type": "code_file"}).json()
    assert (updated["subject"], updated["coverage"], updated["title"]) == (["Python", "Src"], "abc", "b")
    assert api.get("/api/resources", params={"limit": 101}).status_code == 500
    page = api.get("/api/resources", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 10 and len(page["items"]) == 2
    typed = api.get("/api/resources", params={"limit": 100, "type": "code_file"}).json()
    assert [item["id"] for item in typed["items"]] == [rid]

    made = api.post("/chunks", json={"resource_id": rid, "content": "y" * 300, "chunk_index": 7,
                                     "chunk_metadata": {"start_line": 1}, "dropped": True})
    assert made.status_code == 201 and made.json()["content"] == "y" * 200 + "..." and made.json()["chunk_index"] == 0
    assert "dropped" not in made.json()
    assert api.post("/chunks", json={"resource_id": "00000000-0000-0000-0000-000000000000", "content": "c",
                                     "chunk_index": 0}).status_code == 404
    assert api.post("/chunks", json={"resource_id": "nope", "content": "c", "chunk_index": 0}).status_code == 400
    listed = api.get("/chunks", params={"resource_id": rid}).json()
    assert listed["total"] == 1 and api.get(f"/chunks/{listed['items'][0]['id']}").status_code == 200
    assert api.delete(f"/api/resources/{rid}").status_code == 204
    assert api.get(f"/api/resources/{rid}").status_code == 404


def test_fake_only_faults():
    """What the real service cannot be made to do on demand (or does only on its production database)."""
    cloud = CloudServer(token=TOKEN).start()
    try:
        api = httpx.Client(base_url=cloud.url, headers={"Authorization": f"Bearer {TOKEN}"})
        # PostgreSQL's VARCHAR(16) (the local SQLite stores anything)
        assert api.post("/api/resources", json={"url": "https://x.org/1", "language": "x" * 17}).status_code == 500
        cloud.queue_down(1)
        down = api.post("/api/resources", json={"url": "https://x.org/q"})
        assert (down.status_code, down.json()) == (500, {"detail": "Failed to queue ingestion"})
        assert api.post("/api/resources", json={"url": "https://x.org/q"}).status_code == 202  # the row exists
        cloud.fail(1, 429, retry_after="2")
        busy = api.get("/api/resources")
        assert busy.status_code == 429 and busy.headers["Retry-After"] == "2"
        cloud.drop(1, method="GET")
        with pytest.raises(httpx.RemoteProtocolError):
            api.get("/api/resources")
        assert cloud.count("GET", "/api/resources") == 2 and cloud.count("POST", "/api/resources") == 3
        assert cloud.drain_queue() == 1 and cloud.fetch_queue == []
        # PostgreSQL cascades a resource's chunks (the local SQLite leaves them orphaned, unseen by clients)
        rid = api.post("/api/resources", json={"url": "https://x.org/c"}).json()["id"]
        api.post("/chunks", json={"resource_id": rid, "content": "c", "chunk_index": 0})
        assert api.delete(f"/api/resources/{rid}").status_code == 204
        assert api.get("/chunks", params={"resource_id": rid}).json()["total"] == 0
    finally:
        cloud.stop()
