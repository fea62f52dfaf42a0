"""POST /api/jobs: accepted jobs carry concrete values; refused ones say why and store nothing."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient


def submit(client: TestClient, workflow: str = "text_to_image", **params):
    return client.post("/api/jobs", json={"workflow": workflow, "params": params})


def job_count(client: TestClient) -> int:
    return len(client.get("/api/jobs", params={"limit": 200}).json()["items"])


def test_accepted_job_has_id_concrete_seed_and_defaults(client: TestClient) -> None:
    response = submit(client, prompt="a red fox")
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "queued" and job["progress"] == 0
    assert job["workflow"] == "text_to_image" and job["prompt"] == "a red fox"
    assert isinstance(job["seed"], int) and job["seed"] >= 0
    assert job["params"] == {"prompt": "a red fox"}, "params are stored as submitted"
    assert (job["width"], job["height"], job["batch_size"], job["steps"]) == (1024, 1024, 1, 20)
    assert client.get(f"/api/jobs/{job['id']}").json() == job


def test_random_seeds_differ_and_a_given_seed_is_kept(client: TestClient) -> None:
    seeds = {submit(client, prompt="x").json()["seed"] for _ in range(3)}
    assert len(seeds) == 3
    assert submit(client, prompt="x", seed=42).json()["seed"] == 42


def test_aspect_ratio_sets_width_and_height(client: TestClient) -> None:
    job = submit(client, prompt="wide", aspect_ratio="16:9", batch_size=4, cfg=4.5, sampler="dpmpp_2m").json()
    assert (job["aspect_ratio"], job["width"], job["height"]) == ("16:9", 1344, 768)
    assert (job["batch_size"], job["cfg"], job["sampler"]) == (4, 4.5, "dpmpp_2m")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"workflow": "nope", "params": {"prompt": "x"}}, "workflow", "unknown workflow 'nope'"),
        ({"workflow": "text_to_image", "params": {"prompt": "x", "colour": "red"}}, "params.colour", "unknown parameter"),
        ({"workflow": "text_to_image", "params": {"prompt": "x", "steps": "many"}}, "params.steps", "must be an integer"),
        ({"workflow": "text_to_image", "params": {"prompt": "x", "steps": 151}}, "params.steps", "at most 150"),
        ({"workflow": "text_to_image", "params": {"prompt": "x", "batch_size": 5}}, "params.batch_size", "at most 4"),
        ({"workflow": "text_to_image", "params": {"prompt": "x", "batch_size": 0}}, "params.batch_size", "at least 1"),
        ({"workflow": "text_to_image", "params": {"prompt": "x", "cfg": True}}, "params.cfg", "must be a number"),
        ({"workflow": "text_to_image", "params": {"prompt": "x", "seed": -2}}, "params.seed", "-1 (random)"),
        ({"workflow": "image_compose", "params": {"prompt": "x", "direction": "diagonal"}}, "params.direction", "not one of"),
        ({"workflow": "text_to_image", "params": {"prompt": "x", "aspect_ratio": "5:1"}}, "params.aspect_ratio", "not one of"),
        ({"workflow": "text_to_image", "params": {}}, "params.prompt", "is required"),
        ({"workflow": "text_to_image", "params": {"prompt": "   "}}, "params.prompt", "must not be empty"),
        ({"workflow": "text_to_image", "params": {"prompt": "x" * 4001}}, "params.prompt", "limit is 4000"),
        ({"workflow": "image_edit", "params": {"prompt": "x"}}, "params.image", "input image is required"),
        ({"workflow": "image_edit", "params": {"prompt": "x", "image": "missing.png"}}, "params.image", "no upload named"),
        ({"workflow": "text_to_image"}, "params.prompt", "is required"),
        ({"params": {"prompt": "x"}}, "body", "missing required field 'workflow'"),
        ({"workflow": "text_to_image", "params": {"prompt": "x"}, "priority": 1}, "body", "unknown field 'priority'"),
        ({"workflow": "text_to_image", "params": ["prompt"]}, "params", "Expected 'object'"),
    ],
)
def test_refusal_names_field_and_reason_and_stores_nothing(client: TestClient, body, field, words) -> None:
    submit(client, prompt="already stored")
    response = client.post("/api/jobs", json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert any(e["field"] == field and words in e["message"] for e in error["errors"]), error
    assert field in error["detail"]
    assert job_count(client) == 1


def test_malformed_json_is_refused(client: TestClient) -> None:
    response = client.post("/api/jobs", content=b'{"workflow": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "body could not be read: Input data was truncated" in response.json()["detail"]
    assert job_count(client) == 0


def test_every_error_is_listed_at_once(client: TestClient) -> None:
    response = submit(client, steps=0, cfg=99, extra=1)
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"params.prompt", "params.steps", "params.cfg", "params.extra"}
