"""The OpenAPI description says what clients meet: refusals in Studio's error shape, the upload's
form field, and the WebSocket routes (as GET routes answering 101)."""

from __future__ import annotations

from litestar.testing import TestClient


def schema(client: TestClient) -> dict:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_refusal_is_documented_as_an_error_body(client: TestClient) -> None:
    document = schema(client)
    refusals = {
        (name, status): response
        for name, operation in operations(document)
        for status, response in operation["responses"].items()
        if status.startswith("4")
    }
    assert {("POST /api/jobs", "400"), ("GET /api/jobs/{job_id}", "404"), ("POST /api/jobs/{job_id}/cancel", "409")} <= set(refusals)
    assert ("POST /api/uploads", "413") in refusals and ("GET /api/history", "400") in refusals
    for where, response in refusals.items():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, where
    assert set(document["components"]["schemas"]["ErrorBody"]["properties"]) == {"status_code", "detail", "errors"}


def test_the_upload_documents_its_file_field(client: TestClient) -> None:
    body = schema(client)["paths"]["/api/uploads"]["post"]["requestBody"]
    form = body["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"]
    assert form["properties"]["file"]["type"] == "string" and form["properties"]["file"]["format"] == "binary"


def test_websocket_routes_are_documented_and_still_open(client: TestClient) -> None:
    paths = schema(client)["paths"]
    for path in ("/ws/events", "/ws/jobs/{job_id}"):
        assert {"101", "426"} <= set(paths[path]["get"]["responses"]), path
    assert [p["name"] for p in paths["/ws/events"]["get"]["parameters"]] == ["status", "workflow"]

    plain = client.get("/ws/events")
    assert plain.status_code == 426 and plain.headers["upgrade"] == "websocket"
    assert plain.json()["detail"] == "/ws/events is a WebSocket: open it with a WebSocket client (ws://...)."
    with client.websocket_connect("/ws/events") as socket:
        assert socket.receive_json()["type"] == "queue.snapshot"


def test_a_refused_method_says_which_are_allowed(client: TestClient) -> None:
    response = client.request("TRACE", "/api/jobs")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_error_details_are_documented_as_the_kinds_of_failure(client: TestClient) -> None:
    schemas = schema(client)["components"]["schemas"]
    variants = schemas["Job"]["properties"]["error_details"]["oneOf"]
    assert {"type": "null"} in variants
    kinds = {
        name: schemas[name]
        for variant in variants
        if (name := variant.get("$ref", "").rpartition("/")[2])
    }
    assert {kind["properties"]["type"]["const"] for kind in kinds.values()} == {
        "invalid_prompt", "missing_node_type", "prompt_no_outputs", "prompt_outputs_failed_validation",
        "prompt_partially_invalid", "rejected", "execution_error", "interrupted", "lost", "comfyui_unreachable",
        "unrunnable", "worker_error", "unknown",
    }
    assert set(kinds["ExecutionError"]["required"]) == {"type", "node_id", "node_type", "exception_type", "exception_message", "traceback"}
    assert kinds["OutputsFailedValidation"]["properties"]["node_errors"]["additionalProperties"] == {"$ref": "#/components/schemas/NodeError"}
    assert set(kinds["Lost"]["required"]) == {"type", "attempts"}
