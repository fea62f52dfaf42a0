"""GET /api/jobs: newest first, filters, cursor and offset pagination."""

from __future__ import annotations

from litestar.testing import TestClient


def submit(client: TestClient, prompt: str, workflow: str = "text_to_image") -> dict:
    response = client.post("/api/jobs", json={"workflow": workflow, "params": {"prompt": prompt}})
    assert response.status_code == 202, response.text
    return response.json()


def ids(page: dict) -> list[str]:
    return [job["id"] for job in page["items"]]


def test_newest_first_and_cursor_walks_every_job_once(client: TestClient) -> None:
    created = [submit(client, f"job {i}")["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/jobs", params=params).json()
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))


def test_cursor_stays_put_when_new_jobs_arrive(client: TestClient) -> None:
    first = [submit(client, f"old {i}")["id"] for i in range(4)]
    page = client.get("/api/jobs", params={"limit": 2}).json()
    submit(client, "newer than the first page")
    older = client.get("/api/jobs", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert ids(older) == [first[1], first[0]]


def test_limit_and_offset(client: TestClient) -> None:
    created = [submit(client, f"job {i}")["id"] for i in range(5)]
    page = client.get("/api/jobs", params={"limit": 2, "offset": 2}).json()
    assert ids(page) == [created[2], created[1]]


def test_filters_status_workflow_favorite_and_text(client: TestClient) -> None:
    fox = submit(client, "A Red Fox in snow")
    owl = submit(client, "an owl at night", workflow="text_to_image_unet")
    cat = submit(client, "a cat, 100% fluffy")
    client.post(f"/api/jobs/{owl['id']}/cancel")
    client.put(f"/api/jobs/{cat['id']}/favorite")

    def listed(**params) -> set[str]:
        return set(ids(client.get("/api/jobs", params=params).json()))

    assert listed(status="cancelled") == {owl["id"]}
    assert listed(status=["queued", "cancelled"]) == {fox["id"], owl["id"], cat["id"]}
    assert listed(workflow="text_to_image_unet") == {owl["id"]}
    assert listed(favorite="true") == {cat["id"]}
    assert listed(favorite="false") == {fox["id"], owl["id"]}
    assert listed(q="red fox") == {fox["id"]}, "search ignores case"
    assert listed(q="100%") == {cat["id"]}, "% is a character, not a wildcard"
    assert listed(q="_") == set()
    assert listed(q="a", status="queued", favorite="true") == {cat["id"]}


def test_bad_history_queries_are_refused(client: TestClient) -> None:
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": "done"}, "status"),
        ({"favorite": "maybe"}, "favorite"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ]:
        response = client.get("/api/jobs", params=params)
        assert response.status_code == 400, params
        assert response.json()["errors"][0]["field"] == field
