"""The OpenAPI description says what clients meet: refusals in Studio's error shape (the browser
guard's on every route it checks), /health's degraded 503, an output file's media types, the
upload's form field, and the WebSocket routes (as GET routes answering 101)."""

from __future__ import annotations

import uuid

from litestar.testing import TestClient

from server.config import Settings


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
    assert [p["name"] for p in paths["/ws/events"]["get"]["parameters"]] == ["status", "workflow", "owner", "token"]
    assert [p["name"] for p in paths["/ws/jobs/{job_id}"]["get"]["parameters"]] == ["job_id", "token"]

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


def error_body(response: dict) -> bool:
    return response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_the_failures_of_models_health_and_the_workflow_list_are_documented(client: TestClient) -> None:
    paths = schema(client)["paths"]
    models = paths["/api/models"]["get"]["responses"]
    assert error_body(models["503"]) and error_body(models["400"])
    # The test's ComfyUI is a port nobody listens on: the documented 503 is what the route answers.
    response = client.get("/api/models")
    assert response.status_code == 503 and "STUDIO_COMFY_URL" in response.json()["detail"]

    health = paths["/health"]["get"]["responses"]
    assert set(health) == {"200", "503"}  # no 400: /health answers whatever Host it is asked as
    assert health["503"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Health"}
    assert client.get("/health", headers={"Host": "probe.internal"}).status_code == 200

    workflows = paths["/api/workflows"]["get"]["responses"]
    assert set(workflows) == {"200", "400", "401"} and error_body(workflows["400"])
    assert client.get("/api/workflows", headers={"Host": "rebound.example"}).status_code == 400


def test_the_browser_guards_refusals_are_documented_on_every_route_they_apply_to(client: TestClient) -> None:
    for name, operation in operations(schema(client)):
        method, path = name.split(" ", 1)
        responses = operation["responses"]
        assert ("400" in responses) == (path != "/health"), name
        opens_a_websocket = "101" in responses
        admin_only = path.startswith("/api/keys") or path == "/metrics"  # 403 also when the key is not an admin's
        signed = path in ("/outputs/{path}", "/thumbs/{path}")  # 403 also for a signed link that does not open the file
        refused = method in {"POST", "PUT", "PATCH", "DELETE"} or opens_a_websocket or admin_only or signed
        assert ("403" in responses) == refused, name
        takes_json = "application/json" in operation.get("requestBody", {}).get("content", {})
        assert ("415" in responses) == takes_json, name
        assert all(error_body(responses[status]) for status in ("400", "403", "415") if status in responses), name
    assert {"POST /api/jobs", "POST /api/generate"} <= {
        name for name, operation in operations(schema(client)) if "415" in operation["responses"]
    }

    text = client.post("/api/jobs", content=b"{}", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415
    foreign = client.delete(f"/api/jobs/{uuid.uuid4()}", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403


def test_an_output_file_is_documented_as_the_media_it_is(client: TestClient, settings: Settings) -> None:
    served = schema(client)["paths"]["/outputs/{path}"]["get"]["responses"]["200"]
    assert set(served["content"]) == {"image/*", "video/*", "application/octet-stream"}
    assert all(media["schema"] == {"type": "string", "format": "binary"} for media in served["content"].values())

    folder = settings.data_path / "outputs" / "job-1"
    folder.mkdir(parents=True)
    for name in ("fox_00001_.png", "fox_00001_.webm", "fox_00001_.unknownext"):
        (folder / name).write_bytes(b"stored")
        content_type = client.get(f"/outputs/job-1/{name}").headers["content-type"]
        main, _, sub = content_type.partition("/")
        assert f"{main}/*" in served["content"] or content_type in served["content"], content_type
