"""GET /api/workflows: every built-in workflow with a schema per parameter."""

from __future__ import annotations

from litestar.testing import TestClient

BUILT_INS = {"text_to_image", "text_to_image_unet", "image_edit", "image_compose", "upscale"}


def test_lists_the_built_ins(client: TestClient) -> None:
    workflows = client.get("/api/workflows").json()
    assert {w["name"] for w in workflows} == BUILT_INS
    assert all(w["title"] and w["params"] for w in workflows)


def test_parameter_schemas(client: TestClient) -> None:
    workflow = client.get("/api/workflows/text_to_image").json()
    params = {p["name"]: p for p in workflow["params"]}
    assert params["prompt"] == {"name": "prompt", "type": "text", "label": "Prompt", "required": True, "default": "", "max_length": 4000}
    assert params["batch_size"]["min"] == 1 and params["batch_size"]["max"] == 4
    assert params["seed"]["default"] == -1
    assert params["model"]["folder"] == "checkpoints"
    assert params["aspect_ratio"]["presets"]["16:9"] == [1344, 768]
    assert "euler" in params["sampler"]["choices"] and params["sampler"]["advanced"] is True
    assert all("bind" not in p for p in params.values()), "node bindings are internal"
    edit = {p["name"]: p for p in client.get("/api/workflows/image_edit").json()["params"]}
    assert edit["image"]["type"] == "image" and edit["denoise"]["max"] == 1.0
    compose = [p for p in client.get("/api/workflows/image_compose").json()["params"] if p["type"] == "image"]
    assert len(compose) == 2


def test_unknown_workflow_is_404(client: TestClient) -> None:
    response = client.get("/api/workflows/nope")
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_openapi_schema_is_served(client: TestClient) -> None:
    schema = client.get("/schema/openapi.json").json()
    assert "/api/jobs" in schema["paths"] and "/api/uploads" in schema["paths"]
