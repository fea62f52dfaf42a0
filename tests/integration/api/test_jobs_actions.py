"""Cancel, remix, favorite and delete, and what each does to a job that does not exist."""

from __future__ import annotations

import uuid

import pytest
from litestar.testing import TestClient

from server.config import Settings


def submit(client: TestClient, **params) -> dict:
    response = client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a fox", **params}})
    assert response.status_code == 202, response.text
    return response.json()


def test_cancel_a_queued_job(client: TestClient) -> None:
    job = submit(client)
    response = client.post(f"/api/jobs/{job['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["finished_at"] is not None
    again = client.post(f"/api/jobs/{job['id']}/cancel")
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]


def test_remix_keeps_seed_and_parameters_and_applies_overrides(client: TestClient) -> None:
    original = submit(client, aspect_ratio="3:2", steps=30)
    response = client.post(f"/api/jobs/{original['id']}/remix", json={"params": {"prompt": "a fox at dawn"}})
    assert response.status_code == 202
    remix = response.json()
    assert remix["remix_of"] == original["id"] and remix["id"] != original["id"]
    assert remix["seed"] == original["seed"]
    assert (remix["prompt"], remix["aspect_ratio"], remix["steps"]) == ("a fox at dawn", "3:2", 30)
    assert remix["status"] == "queued"


def test_remix_with_random_seed_and_without_body(client: TestClient) -> None:
    original = submit(client, seed=7)
    same = client.post(f"/api/jobs/{original['id']}/remix").json()
    assert same["seed"] == 7 and same["prompt"] == "a fox"
    fresh = client.post(f"/api/jobs/{original['id']}/remix", json={"params": {"seed": -1}}).json()
    assert fresh["seed"] != 7 and fresh["params"]["seed"] == -1


def test_remix_refuses_bad_overrides_and_stores_nothing(client: TestClient) -> None:
    original = submit(client)
    response = client.post(f"/api/jobs/{original['id']}/remix", json={"params": {"steps": 0}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "params.steps"
    assert len(client.get("/api/jobs").json()["items"]) == 1


def test_favorite_and_unfavorite(client: TestClient) -> None:
    job = submit(client)
    assert client.put(f"/api/jobs/{job['id']}/favorite").json()["favorite"] is True
    assert client.get(f"/api/jobs/{job['id']}").json()["favorite"] is True
    assert client.delete(f"/api/jobs/{job['id']}/favorite").json()["favorite"] is False


def test_delete_hides_the_job_and_removes_its_files(client: TestClient, settings: Settings) -> None:
    job = submit(client)
    keep = submit(client)
    files = settings.data_path / "outputs" / job["id"]
    files.mkdir(parents=True)
    (files / "fox_00001_.png").write_bytes(b"png")
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert not files.exists()
    assert client.get(f"/api/jobs/{job['id']}").status_code == 404
    assert [j["id"] for j in client.get("/api/jobs").json()["items"]] == [keep["id"]]
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/jobs/{id}"),
        ("post", "/api/jobs/{id}/cancel"),
        ("post", "/api/jobs/{id}/remix"),
        ("put", "/api/jobs/{id}/favorite"),
        ("delete", "/api/jobs/{id}/favorite"),
        ("delete", "/api/jobs/{id}"),
        ("get", "/api/status/{id}"),
        ("post", "/api/cancel/{id}"),
    ],
)
def test_unknown_job_is_404_with_a_sentence(client: TestClient, method: str, path: str) -> None:
    missing = uuid.uuid4()
    response = getattr(client, method)(path.format(id=missing))
    assert response.status_code == 404
    assert str(missing) in response.json()["detail"]


def test_malformed_job_id_is_404(client: TestClient) -> None:
    response = client.get("/api/jobs/../../etc/passwd")
    assert response.status_code == 404
    response = client.get("/api/jobs/12345")
    assert response.status_code == 404
    assert "job ids are UUIDs" in response.json()["detail"]
