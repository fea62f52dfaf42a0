"""Web pages cannot use the Studio on the user's machine: real HTTP and WebSocket requests, as a
browser sends them, against a real `studio serve`."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from server.config import ConfigError, load_settings
from tests.served import ServedStudio, serve_studio

EVIL = "https://evil.example"
FRIEND = "https://studio.example.com"  # in STUDIO_ALLOWED_ORIGINS
JOB = {"workflow": "text_to_image", "params": {"prompt": "a red fox"}}


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedStudio]:
    with serve_studio(tmp_path_factory.mktemp("guard"), {"STUDIO_ALLOWED_ORIGINS": f"{FRIEND},http://localhost:3000"}) as served:
        yield served


@pytest.fixture
def http(studio: ServedStudio) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=studio.url, timeout=10) as client:
        yield client


def job_count(http: httpx.Client) -> int:
    return len(http.get("/api/jobs", params={"limit": 200}).json()["items"])


def test_a_name_studio_is_not_served_as_is_refused_with_the_variable_to_set(http: httpx.Client, studio: ServedStudio) -> None:
    before = job_count(http)
    for name in ("evil.example", f"evil.example:{studio.port}", "rebind.attacker.test:80"):
        response = http.post("/api/jobs", json=JOB, headers={"Host": name})
        assert response.status_code == 400, response.text
        detail = response.json()["detail"]
        assert "STUDIO_ALLOWED_HOSTS" in detail and repr(name.split(":")[0]) in detail, detail
        assert http.get("/api/jobs", headers={"Host": name}).status_code == 400
    assert job_count(http) == before
    answer = studio.upgrade("/ws/events", "Host: evil.example\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ") and b"STUDIO_ALLOWED_HOSTS" in answer, answer


def test_loopback_names_pass_on_any_port_and_health_answers_any_name(http: httpx.Client, studio: ServedStudio) -> None:
    for name in ("localhost", "LOCALHOST:8000", f"127.0.0.1:{studio.port}", "[::1]:9999"):
        assert http.get("/api/jobs", headers={"Host": name}).status_code == 200, name
    # Probes (Kubernetes, load balancers) name the host by its address.
    health = http.get("/health", headers={"Host": "10.1.2.3:8000"})
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_an_http_1_1_request_that_names_no_host_is_refused(studio: ServedStudio) -> None:
    request = b"POST /api/jobs HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    with socket.create_connection(("127.0.0.1", studio.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"An HTTP/1.1 request must name the host it is for in a Host header." in body


def test_commands_from_another_site_are_refused(http: httpx.Client) -> None:
    job = http.post("/api/jobs", json=JOB).json()  # no Origin: curl, scripts, the TUI
    before = job_count(http)
    for origin in (EVIL, "null", "http://127.0.0.1:1", "http://127.0.0.1", "https://studio.example.com.evil.example"):
        response = http.post("/api/jobs", json=JOB, headers={"Origin": origin})
        assert response.status_code == 403, (origin, response.text)
        assert "STUDIO_ALLOWED_ORIGINS" in response.json()["detail"]
        assert http.delete(f"/api/jobs/{job['id']}", headers={"Origin": origin}).status_code == 403
        assert http.put(f"/api/jobs/{job['id']}/favorite", headers={"Origin": origin}).status_code == 403
        upload = http.post("/api/uploads", files={"file": ("a.png", b"\x89PNG", "image/png")}, headers={"Origin": origin})
        assert upload.status_code == 403
    assert job_count(http) == before
    assert http.get(f"/api/jobs/{job['id']}").json()["favorite"] is False
    # Reading needs no guard: browsers keep the answer from the other site's page (no CORS).
    assert http.get("/api/jobs", headers={"Origin": EVIL}).status_code == 200


def test_studio_own_pages_and_allowed_origins_send_commands(http: httpx.Client, studio: ServedStudio) -> None:
    for host, origin in (
        (f"127.0.0.1:{studio.port}", studio.url),
        (f"localhost:{studio.port}", f"http://localhost:{studio.port}"),
        (f"127.0.0.1:{studio.port}", FRIEND),
        (f"127.0.0.1:{studio.port}", "http://localhost:3000"),
        ("localhost", "http://localhost"),  # the default port, said or not
    ):
        response = http.post("/api/jobs", json=JOB, headers={"Host": host, "Origin": origin})
        assert response.status_code == 202, (host, origin, response.text)


def test_a_websocket_from_another_site_is_refused(studio: ServedStudio) -> None:
    url = f"ws://127.0.0.1:{studio.port}/ws/events"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin=EVIL, open_timeout=10)
    assert refused.value.response.status_code == 403
    assert b"STUDIO_ALLOWED_ORIGINS" in refused.value.response.body
    for origin in (None, studio.url, FRIEND):
        with connect(url, origin=origin, open_timeout=10) as socket:
            assert socket.recv(timeout=10).startswith('{"type":"queue.snapshot"')
    assert "ERROR" not in studio.log.read_text()


def test_json_routes_take_only_json(http: httpx.Client) -> None:
    before = job_count(http)
    body = httpx.Request("POST", "/", json=JOB).content
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
        headers = {"Content-Type": content_type} if content_type else {}
        for path in ("/api/jobs", "/api/generate"):
            response = http.post(path, content=body, headers=headers)
            assert response.status_code == 415, (path, content_type, response.text)
            assert "Content-Type: application/json" in response.json()["detail"]
    assert job_count(http) == before
    job = http.post("/api/jobs", content=body, headers={"Content-Type": "application/json; charset=utf-8"}).json()
    assert http.post(f"/api/jobs/{job['id']}/remix").status_code == 202  # no body: nothing to label
    assert http.post(f"/api/jobs/{job['id']}/cancel", content=b"").status_code == 200


def test_allowed_origins_must_be_origins() -> None:
    for value in ("studio.example.com", "https://studio.example.com/app", "ftp://studio.example.com"):
        with pytest.raises(ConfigError, match="STUDIO_ALLOWED_ORIGINS"):
            load_settings({"STUDIO_ALLOWED_ORIGINS": value})
    assert load_settings({"STUDIO_ALLOWED_ORIGINS": "https://a.example, http://b.example:3000/"}).allowed_origins == [
        "https://a.example",
        "http://b.example:3000/",
    ]
