"""Live-event helpers: jobs submitted through a test client, typed messages off its sockets, and
what a Subscription holds."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec
from litestar.testing import TestClient
from litestar.testing.websocket_test_session import WebSocketTestSession

from server.events.schemas import Event, Message, QueueTotals, message_decoder
from server.events.subscription import Subscription
from server.jobs.schemas import Job

# Seconds to wait for a message that should come; generous for a loaded CI machine.
WAIT = 10


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


async def drain(subscription: Subscription, quiet: float = 0.05) -> list[Event]:
    """Every message the subscription holds or receives until it stays quiet for `quiet` seconds."""
    events: list[Event] = []
    while True:
        try:
            item = await asyncio.wait_for(subscription.get(), quiet)
        except TimeoutError:
            return events
        assert item is not None
        events.append(item[0])
