"""Helpers for the live-event tests: the app's bus, jobs, and typed messages off a test socket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient
from litestar.testing.websocket_test_session import WebSocketTestSession

from server.events.bus import EventBus
from server.events.schemas import Message, QueueTotals, message_decoder
from server.jobs.schemas import Job
from tests.integration.events.scaled import Api, environment, redis_ready
from tests.integration.worker.stack import free_port

# Seconds to wait for a message that should come; generous for a loaded CI machine.
WAIT = 10


@pytest.fixture
def bus(client: TestClient) -> EventBus:
    """The bus of the app under test; publishing from the test thread exercises the thread-safe path."""
    return client.app.dependencies["events"].dependency()


@pytest.fixture
def env(tmp_path: Path, comfy_url: str) -> dict[str, str]:
    """The environment of a scaled-out Studio's processes (Redis, shared database and data dir)."""
    redis_ready()
    return environment(tmp_path, comfy_url)


@pytest.fixture
def apis(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Api, Api]]:
    """Two API hosts; one after the other, since the first migrates the shared database."""
    first = Api(env, tmp_path / "api-1.log").start()
    second = Api(env, tmp_path / "api-2.log").start()
    yield first, second
    second.stop()
    first.stop()


@pytest.fixture
def api(env: dict[str, str], tmp_path: Path) -> Iterator[Api]:
    host = Api(env, tmp_path / "api.log").start()
    yield host
    host.stop()


@pytest.fixture
def unused_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def submit(client: TestClient, workflow: str = "text_to_image", **params: Any) -> Job:
    params = {"prompt": "a red fox", **params} if workflow.startswith("text_to_image") else params
    response = client.post("/api/jobs", json={"workflow": workflow, "params": params})
    assert response.status_code == 202, response.text
    return msgspec.convert(response.json(), Job, strict=False)


def receive(socket: WebSocketTestSession, timeout: float = WAIT) -> Message:
    return message_decoder.decode(socket.receive_text(timeout=timeout))


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def receive_job_events(socket: WebSocketTestSession, count: int) -> list[Message]:
    """The next `count` job events, skipping queue.totals (which come whenever counts settle)."""
    events: list[Message] = []
    while len(events) < count:
        message = receive(socket)
        if not isinstance(message, QueueTotals):
            events.append(message)
    return events
