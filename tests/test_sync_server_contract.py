"""The fake cloud follows the contract (shared/pharos-cloud-api.md), quirks included: the sync tests rely on it."""

from __future__ import annotations

import httpx

from tests.test_sync_fixtures import TOKEN, cloud  # noqa: F401


def test_auth_health_and_resources(cloud):
    api = httpx.Client(base_url=cloud.url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert httpx.get(cloud.url + "/health").json() == {"status": "healthy", "service": "pharos-api"}
    bare = httpx.get(cloud.url + "/api/resources")
    assert (bare.status_code, bare.json(), bare.headers["WWW-Authenticate"]) == (401, {"detail": "Not authenticated"},
                                                                                 "Bearer")
    wrong = httpx.get(cloud.url + "/api/resources", headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "Invalid authentication token")

    first = api.post("/api/resources", json={"url": "https://GitHub.com/a/b", "title": "b", "extra": 1})
    assert first.status_code == 202 and set(first.json()) == {"id", "status", "title", "ingestion_status"}
    again = api.post("/api/resources", json={"url": "https://github.com/a/b"})
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])  # idempotent on the URL
    rid = first.json()["id"]
    assert api.get(f"/api/resources/{rid}").json()["url"] == "https://github.com/a/b"
    assert api.post("/api/resources", json={"url": "https://x.org/1", "language": "x" * 17}).status_code == 500
    assert api.post("/api/resources", json={"title": "no url"}).status_code == 422
    # two rows sent with the same explicit source: a POST of that URL matches both, and the server gives up
    api.post("/api/resources", json={"url": "https://x.org/1", "source": "https://x.org/3"})
    api.post("/api/resources", json={"url": "https://x.org/2", "source": "https://x.org/3"})
    assert api.post("/api/resources", json={"url": "https://x.org/3"}).status_code == 500

    updated = api.put(f"/api/resources/{rid}", json={"subject": ["python", "src"], "coverage": "abc"}).json()
    assert (updated["subject"], updated["coverage"], updated["title"]) == (["Python", "Src"], "abc", "b")
    assert api.get("/api/resources", params={"limit": 101}).status_code == 500
    page = api.get("/api/resources", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 3 and len(page["items"]) == 2

    made = api.post("/chunks", json={"resource_id": rid, "content": "y" * 300, "chunk_index": 7,
                                     "chunk_metadata": {"start_line": 1}, "dropped": True})
    assert made.status_code == 201 and len(made.json()["content"]) == 200 and made.json()["chunk_index"] == 0
    assert "dropped" not in made.json()
    assert api.post("/chunks", json={"resource_id": "00000000-0000-0000-0000-000000000000", "content": "c",
                                     "chunk_index": 0}).status_code == 404
    assert api.post("/chunks", json={"resource_id": "nope", "content": "c", "chunk_index": 0}).status_code == 400
    listed = api.get("/chunks", params={"resource_id": rid}).json()
    assert listed["total"] == 1 and api.get(f"/chunks/{listed['items'][0]['id']}").status_code == 200
    assert api.delete(f"/api/resources/{rid}").status_code == 204
    assert api.get(f"/api/resources/{rid}").status_code == 404
    assert api.get("/chunks", params={"resource_id": rid}).json()["total"] == 0  # cascaded


def test_fault_injection(cloud):
    api = httpx.Client(base_url=cloud.url, headers={"Authorization": f"Bearer {TOKEN}"})
    cloud.queue_down(1)
    down = api.post("/api/resources", json={"url": "https://x.org/q"})
    assert (down.status_code, down.json()) == (500, {"detail": "Failed to queue ingestion"})
    assert api.post("/api/resources", json={"url": "https://x.org/q"}).status_code == 200  # the row exists
    cloud.fail(1, 429, retry_after="2")
    busy = api.get("/api/resources")
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "2"
    cloud.drop(1, method="GET")
    try:
        api.get("/api/resources")
        raise AssertionError("the connection should have been dropped")
    except httpx.RemoteProtocolError:
        pass
    assert cloud.count("GET", "/api/resources") == 2 and cloud.count("POST", "/api/resources") == 2
