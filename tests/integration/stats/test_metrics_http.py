"""/metrics: who may read it, and the HTTP figures each process keeps (by route template)."""

from __future__ import annotations

import time
import uuid

from litestar.testing import TestClient

from server.access import repository, tokens
from server.access.schemas import KeyLimits, Role
from tests.integration.stats.scrape import samples, scrape, value


def make_key(client: TestClient, name: str, role: Role) -> str:
    token = tokens.new_token()
    client.blocking_portal.call(repository.insert, name, role, KeyLimits(), token, tokens.stored(token))
    return token.text


def test_requests_are_labelled_by_route_template_never_by_job_id(client: TestClient) -> None:
    ids = [str(uuid.uuid4()) for _ in range(2)]
    for job_id in ids:
        assert client.get(f"/api/jobs/{job_id}").status_code == 404
    assert client.get("/api/workflows").status_code == 200
    text = scrape(client)
    assert value(text, "studio_http_requests_total", method="GET", route="/api/jobs/{job_id}", status="404") == 2
    assert value(text, "studio_http_requests_total", method="GET", route="/api/workflows", status="200") == 1
    assert value(text, "studio_http_request_duration_seconds_count", method="GET", route="/api/jobs/{job_id}") == 2
    labels = {label for _, sample_labels in samples(text) for label in sample_labels}
    assert not [label for label in labels if any(job_id in label[1] for job_id in ids)]


def test_metrics_need_an_admin_key_once_keys_are_on_and_stats_any_key(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 200  # open: no key made yet, on loopback
    admin, user = make_key(client, "ops", "admin"), make_key(client, "alice", "user")

    assert client.get("/metrics").status_code == 401
    refused = client.get("/metrics", headers={"Authorization": f"Bearer {user}"})
    assert refused.status_code == 403
    assert "admin key" in refused.json()["detail"]
    answered = client.get("/metrics", headers={"Authorization": f"Bearer {admin}"})
    assert answered.status_code == 200
    assert answered.headers["content-type"].startswith("text/plain; version=0.0.4")
    # Refusals count too, under the route they were for.
    text = answered.text
    assert value(text, "studio_http_requests_total", method="GET", route="/metrics", status="401") == 1
    assert value(text, "studio_http_requests_total", method="GET", route="/metrics", status="403") == 1

    assert client.get("/api/stats").status_code == 401
    assert client.get("/api/stats", headers={"Authorization": f"Bearer {user}"}).status_code == 200


def test_metrics_are_documented_as_prometheus_text(client: TestClient) -> None:
    operation = client.get("/schema/openapi.json").json()["paths"]["/metrics"]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/plain; version=0.0.4; charset=utf-8"]
    assert {"401", "403"} <= set(operation["responses"])


def test_websocket_clients_are_counted_while_connected(client: TestClient) -> None:
    job = client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a fox"}}).json()
    clients = "studio_websocket_clients"
    with client.websocket_connect("/ws/events") as feed, client.websocket_connect(f"/ws/jobs/{job['id']}") as one:
        feed.receive_json(), one.receive_json()  # the snapshots: both are subscribed
        text = scrape(client)
        assert value(text, clients, route="/ws/events") == 1
        assert value(text, clients, route="/ws/jobs/{job_id}") == 1
    deadline = time.monotonic() + 10  # the server notices the closes a moment later
    while sum(value(text := scrape(client), clients, route=route) for route in ("/ws/events", "/ws/jobs/{job_id}")):
        assert time.monotonic() < deadline, text
        time.sleep(0.05)
