"""Reconciling followers with /history and /queue: adopt, cancel, retries, missed frames."""

from __future__ import annotations

import asyncio
import json

import pytest

from server.comfy import (
    ComfyClient,
    ComfyRejected,
    ComfySession,
    Failed,
    Interrupted,
    Lost,
    OutputImage,
    OutputUpdate,
    Succeeded,
)
from tests.unit.comfy.captures import http_json, load, submitted_graphs, ws_frames
from tests.unit.comfy.recorded_http import Reply, recorded_http
from tests.unit.comfy.replay import Answers, Segment, replay_server

pytestmark = pytest.mark.timeout(10)

EMPTY_QUEUE = {"queue_running": [], "queue_pending": []}


def history_route(capture: str, label: str | None = None) -> tuple[str, dict]:
    pid = load(capture)["prompt_id"]
    return pid, http_json(capture, f"/history/{pid}", label)


@pytest.mark.parametrize(
    ("capture", "label", "expected"),
    [
        ("01", "history", Succeeded),
        ("06", "history", Failed),
        ("08", "history of interrupted", Interrupted),
    ],
)
async def test_adopt_a_finished_prompt_reads_history(
    capture: str, label: str, expected: type
) -> None:
    pid, body = history_route(capture, label)
    routes = {("GET", f"/history/{pid}"): Reply.json(body)}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        session = ComfySession(client)  # no socket needed
        outcome = await asyncio.wait_for(session.adopt(pid).outcome(), 5)
    assert isinstance(outcome, expected)
    if capture == "01":
        assert [i.filename for i in outcome.images] == ["empty_00001_.png", "empty_00002_.png"]
    if capture == "06":
        assert (outcome.node_id, outcome.node_type) == ("3", "ImageBlend")
    if capture == "08":
        assert outcome == Interrupted(pid, "4", "ImageBlur")


async def test_adopt_unknown_prompt_is_lost() -> None:
    routes = {("GET", "/history/gone"): Reply.json({}), ("GET", "/queue"): Reply.json(EMPTY_QUEUE)}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        outcome = await asyncio.wait_for(ComfySession(client).adopt("gone").outcome(), 5)
    assert isinstance(outcome, Lost)
    assert [r.path for r in server.requests] == ["/history/gone", "/queue", "/history/gone"]


async def test_prompt_finishing_between_queue_and_history_is_not_lost() -> None:
    pid, body = history_route("01", "history")
    routes = {
        ("GET", f"/history/{pid}"): [Reply.json({}), Reply.json(body)],
        ("GET", "/queue"): Reply.json(EMPTY_QUEUE),
    }
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        outcome = await asyncio.wait_for(ComfySession(client).adopt(pid).outcome(), 5)
    assert isinstance(outcome, Succeeded)


async def test_adopt_pending_prompt_waits_for_its_frames() -> None:
    queue = http_json("10", "/queue", "1 running + 3 pending")
    pid = queue["queue_pending"][0][1]
    routes = {("GET", f"/history/{pid}"): Reply.json({}), ("GET", "/queue"): Reply.json(queue)}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        follower = ComfySession(client).adopt(pid)
        await asyncio.sleep(0.3)
    assert not follower.done
    assert [r.path for r in server.requests] == [f"/history/{pid}", "/queue"]


async def test_reconcile_retries_while_comfy_is_unavailable() -> None:
    pid, body = history_route("01", "history")
    routes = {("GET", f"/history/{pid}"): [Reply(500, b"down", "text/plain"), Reply.json(body)]}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        session = ComfySession(client, backoff_initial=0.01)
        outcome = await asyncio.wait_for(session.adopt(pid).outcome(), 5)
    assert isinstance(outcome, Succeeded)
    assert len(server.requests) == 2


async def test_cancel_pending_prompt_ends_interrupted() -> None:
    routes = {
        ("POST", "/queue"): Reply(),
        ("POST", "/interrupt"): Reply(),
        ("GET", "/history/p1"): Reply.json({}),
        ("GET", "/queue"): Reply.json(EMPTY_QUEUE),
    }
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        session = ComfySession(client)
        follower = session.track("p1")
        await session.cancel("p1")
        outcome = await asyncio.wait_for(follower.outcome(), 5)
    assert outcome == Interrupted("p1", None, None)
    assert [(r.method, r.path) for r in server.requests[:2]] == [
        ("POST", "/queue"),
        ("POST", "/interrupt"),
    ]
    assert server.requests[1].json() == {"prompt_id": "p1"}


async def test_rejected_submit_is_not_followed() -> None:
    body = json.loads(json.dumps(http_json("05b", "/prompt", "no checkpoints")))
    routes = {("POST", "/prompt"): Reply.json(body, 400)}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        session = ComfySession(client)
        with pytest.raises(ComfyRejected):
            await session.submit({"4": {"class_type": "CheckpointLoaderSimple", "inputs": {}}}, "p1")
        follower = session.track("p1")  # a fresh follower, the failed one was dropped
        assert not follower.done


async def test_outputs_missed_during_a_drop_come_from_history_01() -> None:
    """The socket dies just before `executed`; after the reconnect the prompt ends with
    success, so its outputs are read from /history."""
    capture = load("01")
    pid = capture["prompt_id"]
    frames = ws_frames("01")
    cut = next(i for i, f in enumerate(frames) if '"executed"' in f)
    gate = asyncio.Event()
    segments = [
        Segment(frames[:cut], gate=gate, end="drop"),
        Segment([frames[0], *frames[cut + 1 :]]),  # greeting status, then the end of the prompt
    ]
    running = {"queue_running": [[4, pid, {}, {}, ["2"]]], "queue_pending": []}
    http = {
        f"/history/{pid}": Answers({}, http_json("01", f"/history/{pid}")),
        "/queue": Answers(running, EMPTY_QUEUE),
    }
    async with replay_server(segments, http) as server:
        async with ComfyClient(server.base_url) as client:
            async with ComfySession(client, backoff_initial=0.01) as session:
                await session.wait_connected(5)
                follower = session.track(pid, submitted_graphs("01")[pid])
                gate.set()
                updates = [u async for u in follower]
    image = lambda n: OutputImage("2", f"empty_0000{n}_.png", "studio_probe", "output")  # noqa: E731
    assert updates[-1] == Succeeded(pid, [image(1), image(2)], [])
    assert not [u for u in updates if isinstance(u, OutputUpdate)]
