"""Hostile or broken input gets a 4xx with a short sentence, on SQLite and PostgreSQL: never a 500,
never an answer (or a cost) that grows with what was sent."""

from __future__ import annotations

import json

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from server.config import Settings

JSON = {"content-type": "application/json"}


def job_count(client: TestClient) -> int:
    return len(client.get("/api/jobs", params={"limit": 200}).json()["items"])


def refusal(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status_code"] == status and body["detail"].strip()
    return body


def submitted_job(client: TestClient) -> str:
    response = client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a fox"}})
    assert response.status_code == 202, response.text
    return response.json()["id"]


# One parameter of every type: text, integer, number, choice, seed, model, aspect_ratio (text_to_image), image (image_edit).
PARAMS = [
    ("text_to_image", "prompt"),
    ("text_to_image", "steps"),
    ("text_to_image", "cfg"),
    ("text_to_image", "sampler"),
    ("text_to_image", "seed"),
    ("text_to_image", "model"),
    ("text_to_image", "aspect_ratio"),
    ("image_edit", "image"),
]


@pytest.mark.parametrize(("workflow", "name"), PARAMS)
@pytest.mark.parametrize("value", [["1:1"], {"1:1": 1}, True], ids=["list", "object", "bool"])
def test_every_parameter_type_refuses_a_value_of_the_wrong_json_type(client: TestClient, workflow, name, value) -> None:
    params = {"prompt": "a fox", name: value}
    body = refusal(client.post("/api/jobs", json={"workflow": workflow, "params": params}))
    assert [e["field"] for e in body["errors"]] == [f"params.{name}"], body
    assert job_count(client) == 0


@pytest.mark.parametrize("route", ["/api/jobs", "/api/history"])
@pytest.mark.parametrize(("name", "value"), [("offset", 2**63), ("offset", 2**64), ("offset", -1), ("limit", 201), ("limit", 2**63)])
def test_paging_out_of_bounds_is_refused_naming_the_parameter(client: TestClient, route, name, value) -> None:
    submitted_job(client)
    body = refusal(client.get(route, params={name: value}))
    assert body["errors"][0]["field"] == name


@pytest.mark.parametrize("route", ["/api/jobs", "/api/history"])
def test_the_largest_offset_allowed_pages_past_the_end(client: TestClient, route) -> None:
    submitted_job(client)
    response = client.get(route, params={"offset": 1_000_000_000})
    assert response.status_code == 200, response.text
    assert response.json()[{"/api/jobs": "items", "/api/history": "history"}[route]] == []


@pytest.mark.parametrize(
    "path",
    ["a" * 300, "x/" + "b" * 300 + ".png", "/".join(["c" * 250] * 20)],
    ids=["long name", "long name inside a folder", "path over PATH_MAX"],
)
def test_output_names_the_file_system_cannot_hold_are_404(client: TestClient, settings: Settings, path) -> None:
    (settings.data_path / "outputs").mkdir(parents=True, exist_ok=True)
    body = refusal(client.get(f"/outputs/{path}"), 404)
    assert "No output file" in body["detail"] and len(body["detail"]) < 200


def json_routes(client: TestClient) -> list[str]:
    job_id = submitted_job(client)
    return ["/api/jobs", f"/api/jobs/{job_id}/remix", "/api/generate"]


def test_a_body_that_is_not_utf8_is_refused_on_every_json_route(client: TestClient) -> None:
    for route in json_routes(client):
        body = refusal(client.post(route, content=b'{"workflow": "text_to_image", "params": {"prompt": "\xff\xfe"}}', headers=JSON))
        assert "not UTF-8" in body["detail"], route
    assert job_count(client) == 1


def test_json_nested_2000_deep_is_refused_on_every_json_route(client: TestClient) -> None:
    deep = b'{"params": {"prompt": ' + b"[" * 2000 + b"]" * 2000 + b"}}"
    for route in json_routes(client):
        for content in (b"[" * 2000 + b"]" * 2000, deep):
            body = refusal(client.post(route, content=content, headers=JSON))
            assert "nested too deeply" in body["detail"], route
    assert job_count(client) == 1


def test_a_multipart_text_field_that_is_not_utf8_is_refused(client: TestClient) -> None:
    form = (
        b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\n\xff\xfe\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG\r\n--b--\r\n'
    )
    body = refusal(client.post("/api/uploads", content=form, headers={"content-type": "multipart/form-data; boundary=b"}))
    assert body["errors"][0]["field"] == "note" and "UTF-8" in body["detail"].upper()


NUL = "a\x00b"


@pytest.mark.parametrize(
    ("workflow", "params", "field"),
    [
        ("text_to_image", {"prompt": NUL}, "params.prompt"),
        ("text_to_image", {"prompt": "x", "negative_prompt": NUL}, "params.negative_prompt"),
        ("text_to_image", {"prompt": "x", "model": NUL}, "params.model"),
        ("image_edit", {"prompt": "x", "image": NUL}, "params.image"),
    ],
)
def test_nul_in_a_parameter_is_refused(client: TestClient, workflow, params, field) -> None:
    body = refusal(client.post("/api/jobs", json={"workflow": workflow, "params": params}))
    assert body["errors"] == [{"field": field, "message": "must not contain NUL (U+0000) characters"}]
    legacy = refusal(client.post("/api/generate", json={"workflow": workflow, **params}))
    assert legacy["errors"] == body["errors"]
    assert job_count(client) == 0


@pytest.mark.parametrize("name", ["q", "workflow"])
def test_nul_in_a_history_filter_is_refused(client: TestClient, name) -> None:
    submitted_job(client)
    body = refusal(client.get("/api/jobs", params={name: NUL}))
    assert body["errors"][0]["field"] == name and "NUL" in body["detail"]


def test_nul_in_the_live_feed_filter_closes_the_socket_with_the_reason(client: TestClient) -> None:
    with client.websocket_connect("/ws/events", params={"workflow": NUL}) as socket:
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert (closed.value.code, closed.value.detail) == (4400, "workflow: must not contain NUL (U+0000) characters")


def test_nul_in_an_upload_file_name_is_refused(client: TestClient, settings: Settings) -> None:
    form = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a\x00.png"\r\n\r\n\x89PNG\r\n--b--\r\n'
    body = refusal(client.post("/api/uploads", content=form, headers={"content-type": "multipart/form-data; boundary=b"}))
    assert body["errors"][0]["field"] == "file" and "NUL" in body["detail"]
    assert not (settings.data_path / "uploads").exists() or not any((settings.data_path / "uploads").iterdir())


def test_a_model_name_longer_than_its_column_is_refused_while_comfyui_is_down(client: TestClient) -> None:
    # The settings fixture's ComfyUI does not answer, so model names are not checked against its list.
    ok = client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "x", "model": "m" * 255}})
    assert ok.status_code == 202, ok.text
    body = refusal(client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "x", "model": "m" * 256}}))
    assert body["errors"] == [{"field": "params.model", "message": "is 256 characters long; the limit is 255"}]
    assert job_count(client) == 1


def test_a_workflow_name_is_bounded_wherever_it_is_given(client: TestClient) -> None:
    long_name = "w" * 5000
    job_id = submitted_job(client)
    for route, body in [
        ("/api/jobs", {"workflow": long_name, "params": {"prompt": "x"}}),
        (f"/api/jobs/{job_id}/remix", {"workflow": long_name}),
        ("/api/generate", {"workflow": long_name, "prompt": "x"}),
        ("/api/generate", {"workflow": ["text_to_image"], "prompt": "x"}),
    ]:
        response = client.post(route, json=body)
        assert len(response.content) < 1000, route
        assert refusal(response)["errors"][0]["field"] == "workflow", route


def test_many_unknown_parameters_get_a_short_answer_listing_twenty(client: TestClient) -> None:
    params = {"prompt": "x", **{f"p{i}": i for i in range(50_000)}}
    response = client.post("/api/jobs", json={"workflow": "text_to_image", "params": params})
    assert len(response.content) < 5_000
    body = refusal(response)
    assert [e["field"] for e in body["errors"]] == [f"params.p{i}" for i in range(20)]
    assert body["detail"].endswith("; and 49980 more")
    assert body["detail"].count("text_to_image takes: prompt, negative_prompt") == 1
    assert job_count(client) == 0


def test_values_are_quoted_cut_short(client: TestClient) -> None:
    huge = "z" * 100_000
    for params in ({"prompt": "x", "sampler": huge}, {"prompt": "x", "aspect_ratio": [[huge[:1000]] * 50] * 2}, {"prompt": "x", huge: 1}):
        response = client.post("/api/jobs", json={"workflow": "text_to_image", "params": params})
        refusal(response)
        assert len(response.content) < 1_000, params.keys()


def test_a_json_body_over_one_mib_is_413_with_a_sentence(client: TestClient) -> None:
    params = {"prompt": "x", **{f"p{i}": i for i in range(400_000)}}
    response = client.post("/api/jobs", content=json.dumps({"workflow": "text_to_image", "params": params}), headers=JSON)
    body = refusal(response, 413)
    assert body["detail"] == "The request body is larger than the 1048576 byte limit for JSON (images go to POST /api/uploads)."


@pytest.mark.parametrize("value", ["bogus", "y" * 300])
def test_an_unknown_status_in_the_live_feed_filter_closes_the_socket_with_a_short_reason(client: TestClient, value) -> None:
    with client.websocket_connect("/ws/events", params={"status": ["queued", value]}) as socket:
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert closed.value.code == 4400
    assert closed.value.detail.startswith("status: must be one of queued, processing, finished, failed, cancelled")
    assert len(closed.value.detail.encode()) <= 123  # what a WebSocket close frame can carry
