"""SaveImageWebsocket: images that exist only as binary socket frames are outputs, in order;
sampler previews, which travel the same way, stay previews; frames missed are images lost."""

from __future__ import annotations

import asyncio
import io
import json
import struct
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from PIL import Image

from server.comfy import (
    ComfyClient,
    ComfySession,
    Interrupted,
    Lost,
    PreviewUpdate,
    PromptFollower,
    SocketImage,
    Succeeded,
    Update,
)
from server.comfy.binary import PreviewImage
from server.comfy.messages import Executing, HistoryEntry, Progress
from tests.unit.comfy.captures import http_json, load, ws_frames
from tests.unit.comfy.recorded_http import Reply, recorded_http
from tests.unit.comfy.replay import Answers, ReplayServer, Segment, replay_server

pytestmark = pytest.mark.timeout(10)

PID = "socket-images-1"
CLIENT_ID = "lane-1"
# A txt2img graph ending in SaveImageWebsocket, as in ComfyUI's
# script_examples/websockets_api_example_ws_images.py (a node id is any string).
GRAPH = {
    "3": {"class_type": "KSampler", "inputs": {}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0]}},
    "save_image_websocket_node": {"class_type": "SaveImageWebsocket", "inputs": {"images": ["8", 0]}},
}
WS_NODE = "save_image_websocket_node"


def image(fmt: str, color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(buf, fmt)
    return buf.getvalue()


def text(kind: str, **data: Any) -> str:
    return json.dumps({"type": kind, "data": {**data, "prompt_id": PID}})


def binary(node: str, fmt: str, data: bytes, metadata: bool) -> bytes:
    """server.py send_image (type 1) / send_image_with_metadata (type 4)."""
    if not metadata:
        return struct.pack(">II", 1, {"JPEG": 1, "PNG": 2}[fmt]) + data
    meta = json.dumps({"node_id": node, "prompt_id": PID, "display_node_id": node, "parent_node_id": None,
                       "real_node_id": node, "image_type": f"image/{fmt.lower()}"}).encode()
    return struct.pack(">II", 4, len(meta)) + meta + data


def step(node: str, value: int, total: int, fmt: str, data: bytes, metadata: bool) -> list[str | bytes]:
    """main.py's progress hook: `progress` then the type 1 frame, or the type 4 frame first
    (sent by comfy_execution/progress.py before the hook's `progress`), as in captures 03/04."""
    progress = text("progress", value=value, max=total, node=node)
    frame = binary(node, fmt, data, metadata)
    return [frame, progress] if metadata else [progress, frame]


SAMPLER_PREVIEWS = [image("JPEG", (10, 10, 10)), image("JPEG", (20, 20, 20))]
OUTPUTS = [image("PNG", (255, 0, 0)), image("PNG", (0, 0, 255)), image("PNG", (0, 255, 0))]


def prompt_frames(metadata: bool) -> list[str | bytes]:
    frames: list[str | bytes] = [
        json.dumps({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "x"}}),
        text("execution_start"),
        text("execution_cached", nodes=[]),
        text("executing", node="3", display_node="3"),
    ]
    for value, preview in enumerate(SAMPLER_PREVIEWS, 1):
        frames += step("3", value, 2, "JPEG", preview, metadata)
    frames.append(text("executing", node="8", display_node="8"))
    frames.append(text("executing", node=WS_NODE, display_node=WS_NODE))
    for value, output in enumerate(OUTPUTS):
        frames += step(WS_NODE, value, len(OUTPUTS), "PNG", output, metadata)
    frames += [text("execution_success"), text("executing", node=None)]
    return frames


async def play(
    frames: list[str | bytes],
    follow: Callable[[ComfySession], PromptFollower],
    http: dict[str, Any] | None = None,
    greeting: int = 1,
) -> tuple[ReplayServer, list[Update]]:
    """Frames played to a session; `follow` registers the follower before the prompt's frames."""

    async def updates(follower: PromptFollower) -> list[Update]:
        return [update async for update in follower]

    gate = asyncio.Event()
    async with replay_server([Segment(frames, greeting=greeting, gate=gate)], http) as server:
        async with ComfyClient(server.base_url) as client, ComfySession(client, CLIENT_ID) as session:
            await session.wait_connected(5)
            follower = follow(session)
            gate.set()
            return server, await asyncio.wait_for(updates(follower), 5)


@pytest.mark.parametrize("metadata", [False, True], ids=["type1", "type4"])
async def test_socket_images_are_outputs_in_order_and_sampler_previews_are_not(metadata: bool) -> None:
    _, updates = await play(prompt_frames(metadata), lambda session: session.track(PID, GRAPH))
    outcome = updates[-1]
    assert isinstance(outcome, Succeeded)
    assert outcome.socket_images == [SocketImage(WS_NODE, data, "image/png") for data in OUTPUTS]
    # every frame is still shown live, the sampler's as previews of node 3
    previews = [(u.node_id, u.image) for u in updates if isinstance(u, PreviewUpdate)]
    assert previews == [("3", p) for p in SAMPLER_PREVIEWS] + [(WS_NODE, o) for o in OUTPUTS]


async def test_a_temp_preview_is_no_output_next_to_socket_images() -> None:
    graph = {**GRAPH, "9": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}}}
    frames = prompt_frames(metadata=True)
    executed = text("executed", node="9", display_node="9",
                    output={"images": [{"filename": "ComfyUI_temp_abcde_00001_.png", "subfolder": "", "type": "temp"}]})
    frames.insert(frames.index(text("execution_success")), executed)
    _, updates = await play(frames, lambda session: session.track(PID, graph))
    outcome = updates[-1]
    assert isinstance(outcome, Succeeded)
    assert outcome.images == [] and len(outcome.socket_images) == 3


def history_04() -> tuple[str, dict[str, Any]]:
    pid = load("04")["prompt_id"]
    return pid, http_json("04", f"/history/{pid}")


async def test_adopted_finished_prompt_lost_its_socket_images_and_runs_again() -> None:
    """A restarted worker finds the prompt finished: its images went to the old socket and
    /history has none. It is Lost (to be run again), and its history entry is deleted so that
    the new run under the same prompt id is not taken for finished."""
    pid, body = history_04()
    routes = {("GET", f"/history/{pid}"): Reply.json(body), ("POST", "/history"): Reply()}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        outcome = await asyncio.wait_for(ComfySession(client).adopt(pid).outcome(), 5)
    assert isinstance(outcome, Lost)
    assert "node 4 (SaveImageWebsocket)" in outcome.reason and "no copy" in outcome.reason
    deletes = [r.json() for r in server.requests if r.method == "POST"]
    assert deletes == [{"delete": [pid]}]


async def test_cancelled_prompt_whose_socket_images_are_missing_is_cancelled() -> None:
    pid, body = history_04()
    routes = {("GET", f"/history/{pid}"): Reply.json(body)}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        follower = ComfySession(client).adopt(pid)
        follower.cancel_requested = True
        outcome = await asyncio.wait_for(follower.outcome(), 5)
    assert outcome == Interrupted(pid, None, None)
    assert [r.method for r in server.requests] == ["GET"]  # nothing to run again: history stays


async def test_adopted_prompt_whose_images_all_arrive_succeeds() -> None:
    """Adopted while still queued with this session's client_id: every frame comes after all,
    and the count announced by `progress` shows that nothing is missing."""
    pid, body = history_04()
    graph = body[pid]["prompt"][2]
    queue = {"queue_running": [], "queue_pending": [[1, pid, graph, {"client_id": CLIENT_ID}, ["4"]]]}
    http = {f"/history/{pid}": Answers({}, body), "/queue": queue}
    server, updates = await play(ws_frames("04"), lambda session: session.adopt(pid, graph), http, greeting=2)
    outcome = updates[-1]
    assert isinstance(outcome, Succeeded)
    assert [(i.node_id, Image.open(io.BytesIO(i.image)).size) for i in outcome.socket_images] == [("4", (64, 48))] * 3
    assert "/queue" in server.http_paths


@pytest.mark.parametrize(("received", "unreceived"), [(0, ["4"]), (2, ["4"]), (3, [])])
def test_a_node_is_complete_only_with_every_image_it_announced(received: int, unreceived: list[str]) -> None:
    """The socket dropped while node 4 sent its batch of 3: the images that came before (each
    after its `progress`, type 1 order) are not the job's outputs unless all came."""
    pid, body = history_04()
    entry = msgspec.convert(body[pid], HistoryEntry)
    follower = PromptFollower(pid, entry.prompt.prompt)
    follower.feed(Executing("4", prompt_id=pid))
    for value in range(received):
        follower.feed(Progress(value, 3, prompt_id=pid, node="4"))
        follower.feed_binary(PreviewImage(OUTPUTS[value], "image/png"))
    assert follower.unreceived_socket_images(entry) == unreceived
