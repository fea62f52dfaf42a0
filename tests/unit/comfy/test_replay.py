"""Recorded socket sequences replayed through a real ComfySession and PromptFollower."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from PIL import Image

from server.comfy import (
    ComfyClient,
    ComfySession,
    Failed,
    Interrupted,
    Lost,
    NodeTextUpdate,
    OutputImage,
    OutputText,
    OutputUpdate,
    PreviewUpdate,
    ProgressUpdate,
    PromptFollower,
    SocketImage,
    Succeeded,
    Update,
)
from tests.unit.comfy.captures import load, submitted_graphs, ws_frames
from tests.unit.comfy.replay import ReplayServer, Segment, replay_server

pytestmark = pytest.mark.timeout(20)

FEATURE_FLAGS = {"type": "feature_flags", "data": {"supports_preview_metadata": True}}


async def collect(follower: PromptFollower) -> list[Update]:
    return [update async for update in follower]


async def replay(
    capture: str,
    prompt_ids: list[str],
    socket: str = "ws",
) -> tuple[ReplayServer, dict[str, list[Update]]]:
    """Play one socket of a capture to a session that follows `prompt_ids`."""
    gate = asyncio.Event()
    graphs = submitted_graphs(capture)
    async with replay_server([Segment(ws_frames(capture, socket), gate=gate)]) as server:
        async with ComfyClient(server.base_url) as client, ComfySession(client) as session:
            await session.wait_connected(5)
            followers = [session.track(pid, graphs.get(pid)) for pid in prompt_ids]
            gate.set()
            results = await asyncio.wait_for(asyncio.gather(*map(collect, followers)), 10)
    return server, dict(zip(prompt_ids, results))


def of_type(updates: list[Update], kind: type) -> list[Any]:
    return [u for u in updates if isinstance(u, kind)]


def assert_progress_sane(updates: list[Update]) -> list[ProgressUpdate]:
    progress = of_type(updates, ProgressUpdate)
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions), "progress must never go back"
    assert all(0.0 <= f <= 1.0 for f in fractions)
    return progress


async def test_success_outputs_01() -> None:
    pid = load("01")["prompt_id"]
    server, results = await replay("01", [pid])
    updates = results[pid]
    assert server.first_frames == [FEATURE_FLAGS]
    image = lambda n: OutputImage("2", f"empty_0000{n}_.png", "studio_probe", "output")  # noqa: E731
    assert updates[-1] == Succeeded(pid, [image(1), image(2)], [])
    assert of_type(updates, OutputUpdate) == [OutputUpdate("2", [image(1), image(2)], [])]
    progress = assert_progress_sane(updates)
    assert progress[-1].fraction == 1.0
    assert progress[-1].nodes_done == progress[-1].nodes_total == 2
    assert {(p.node_id, p.class_type) for p in progress} >= {
        ("1", "EmptyImage"),
        ("2", "SaveImage"),
    }


async def test_output_images_win_over_temp_previews_02() -> None:
    pid = load("02")["prompt_id"]
    _, results = await replay("02", [pid])
    updates = results[pid]
    assert updates[-1] == Succeeded(
        pid, [OutputImage("6", "chain_00001_.png", "studio_probe", "output")], []
    )
    # the temp preview of node 7 was still announced while running
    assert [u.node_id for u in of_type(updates, OutputUpdate)] == ["7", "6"]
    assert of_type(updates, OutputUpdate)[0].images[0].type == "temp"
    progress = assert_progress_sane(updates)
    assert progress[-1].nodes_total == 7


@pytest.mark.parametrize("capture", ["03", "04"])
async def test_binary_previews_legacy_and_metadata(capture: str) -> None:
    pid = load(capture)["prompt_id"]
    _, results = await replay(capture, [pid])
    updates = results[pid]
    previews = of_type(updates, PreviewUpdate)
    assert len(previews) == 3
    for preview in previews:
        assert preview.mime == "image/png"
        assert preview.node_id == "4"  # type 1 has no id: taken from the executing node
        assert Image.open(io.BytesIO(preview.image)).size == (64, 48)
    assert of_type(updates, NodeTextUpdate) == [
        NodeTextUpdate("2", "width: 64, height: 48\n batch size: 3")
    ]
    steps = [(p.step, p.total_steps) for p in of_type(updates, ProgressUpdate) if p.node_id == "4"]
    assert (0, 3) in steps and (2, 3) in steps
    # SaveImageWebsocket writes no file: its images are the frames themselves, kept in order
    outcome = updates[-1]
    assert isinstance(outcome, Succeeded) and (outcome.images, outcome.texts) == ([], [])
    assert outcome.socket_images == [SocketImage("4", p.image, "image/png") for p in previews]


@pytest.mark.parametrize(
    ("capture", "node", "node_type", "exc_type", "text"),
    [
        ("06", "3", "ImageBlend", "RuntimeError", "The size of tensor a (2) must match"),
        ("07", "1", "LoadImage", "PIL.UnidentifiedImageError", "cannot identify image file"),
    ],
)
async def test_execution_error(
    capture: str, node: str, node_type: str, exc_type: str, text: str
) -> None:
    pid = load(capture)["prompt_id"]
    _, results = await replay(capture, [pid])
    outcome = results[pid][-1]
    assert isinstance(outcome, Failed)
    assert (outcome.node_id, outcome.node_type, outcome.exception_type) == (node, node_type, exc_type)
    assert outcome.message.startswith(f"Node {node} ({node_type}) failed: {exc_type}: {text}")
    assert len(outcome.traceback) == 7
    assert_progress_sane(results[pid])


@pytest.mark.parametrize(
    ("capture", "node", "node_type", "previews"),
    [("08", "4", "ImageBlur", 0), ("09b", "2", "SaveImageWebsocket", 7)],
)
async def test_interrupted(capture: str, node: str, node_type: str, previews: int) -> None:
    pid = load(capture)["prompt_id"]
    _, results = await replay(capture, [pid])
    assert results[pid][-1] == Interrupted(pid, node, node_type)
    assert len(of_type(results[pid], PreviewUpdate)) == previews
    progress = assert_progress_sane(results[pid])
    assert progress[-1].fraction < 1.0


async def test_cached_rerun_still_delivers_old_outputs_11() -> None:
    run1, run2, run3, run4 = load("11")["prompt_ids"]
    _, results = await replay("11", [run1, run2, run3, run4])
    image = lambda name: OutputImage("3", name, "studio_probe", "output")  # noqa: E731
    assert results[run1][-1] == Succeeded(run1, [image("cached_00001_.png")], [])
    # fully cached: no executing(<node>) at all, and the old file name again
    assert results[run2][-1] == Succeeded(run2, [image("cached_00001_.png")], [])
    assert results[run3][-1] == Succeeded(run3, [image("cached_changed_prefix_00001_.png")], [])
    assert results[run4][-1] == Succeeded(run4, [image("cached_00002_.png")], [])
    # cached nodes are not work: run 3 has one node to run, run 2 none
    assert of_type(results[run3], ProgressUpdate)[-1].nodes_total == 1
    assert of_type(results[run2], ProgressUpdate)[-1].fraction == 1.0


async def test_several_prompts_on_one_socket_10() -> None:
    ids = load("10")["prompt_ids"]
    a, b, d, e = ids["A"], ids["B"], ids["D"], ids["E"]
    _, results = await replay("10", [a, b, d, e])
    assert results[a][-1] == Interrupted(a, "3", "ImageBlur")
    assert results[e][-1] == Interrupted(e, "2", "ImageBlur")
    assert [i.filename for i in results[d][-1].images] == [
        "queued_D_front_00001_.png",
        "queued_D_front_00002_.png",
    ]
    assert [i.filename for i in results[b][-1].images] == [
        "queued_B_00001_.png",
        "queued_B_00002_.png",
    ]


async def test_text_outputs_15() -> None:
    first, second = load("15")["prompt_ids"]
    _, results = await replay("15", [first, second])
    assert results[first][-1] == Succeeded(first, [], [OutputText("3", "42")])
    assert results[second][-1] == Succeeded(second, [], [OutputText("3", "")])
    assert of_type(results[first], OutputUpdate) == [OutputUpdate("3", [], [OutputText("3", "42")])]


async def assert_silent(follower: PromptFollower) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(aiter(follower)), 0.2)


# Played after a recording: a prompt of the test's own that ends at once. The session handles
# frames in order, so once it has ended, every frame before it has been handled too.
SENTINEL = "sentinel-after-the-recording"
SENTINEL_FRAMES = [
    json.dumps({"type": "execution_interrupted", "data": {"prompt_id": SENTINEL}}),
    json.dumps({"type": "executing", "data": {"node": None, "prompt_id": SENTINEL}}),
]


async def all_frames_handled(sentinel: PromptFollower) -> None:
    assert await asyncio.wait_for(sentinel.outcome(), 5) == Interrupted(SENTINEL, None, None)


async def test_other_clients_frames_are_ignored_14() -> None:
    """Socket A sees its own prompt, then the broadcast progress and type-1 previews of a
    prompt queued without client_id: those must reach none of A's followers."""
    capture = load("14")
    ours, broadcast = capture["prompt_ids"][0], capture["prompt_ids"][1]
    gate = asyncio.Event()
    async with replay_server([Segment([*ws_frames("14", "A"), *SENTINEL_FRAMES], gate=gate)]) as server:
        async with ComfyClient(server.base_url) as client, ComfySession(client) as session:
            await session.wait_connected(5)
            follower = session.track(ours)
            waiting = session.track("ours-still-queued")
            sentinel = session.track(SENTINEL)
            gate.set()
            updates = await asyncio.wait_for(collect(follower), 5)
            await all_frames_handled(sentinel)  # the broadcast frames after our prompt too
            await assert_silent(waiting)
    assert broadcast not in {ours, "ours-still-queued"}
    assert isinstance(updates[-1], Succeeded)
    assert len(of_type(updates, PreviewUpdate)) == 3
    assert len(of_type(updates, NodeTextUpdate)) == 1


async def test_observer_socket_gets_nothing_14() -> None:
    gate = asyncio.Event()
    async with replay_server([Segment([*ws_frames("14", "observer"), *SENTINEL_FRAMES], gate=gate)]) as server:
        async with ComfyClient(server.base_url) as client, ComfySession(client) as session:
            await session.wait_connected(5)
            follower = session.track("observers-own-prompt")
            sentinel = session.track(SENTINEL)
            gate.set()
            await all_frames_handled(sentinel)
            await assert_silent(follower)


async def test_reconnect_mid_prompt_reconciles_and_keeps_following_14() -> None:
    """Socket C is closed while node 3 runs; the new socket first gets `executing` without
    prompt_id, then the rest of the prompt. /queue tells the session which prompt runs.
    The old socket's last frame, executing(3), is left out here, as if lost with it."""
    capture = load("14")
    pid = capture["prompt_ids"][3]
    graph = submitted_graphs("14")[pid]
    queue = {"queue_running": [[1, pid, graph, {"client_id": "c"}, ["6"]]], "queue_pending": []}
    first, second = asyncio.Event(), asyncio.Event()
    segments = [
        Segment(ws_frames("14", "C")[:-1], gate=first, end="close"),
        Segment(ws_frames("14", "C_reconnected"), greeting=2, gate=second),
    ]
    http = {f"/history/{pid}": {}, "/queue": queue}
    async with replay_server(segments, http) as server:
        async with ComfyClient(server.base_url) as client:
            async with ComfySession(client, "c", backoff_initial=0.01) as session:  # the prompt's submitter
                await session.wait_connected(5)
                follower = session.track(pid, graph)
                first.set()
                seen: list[Update] = []
                async for update in follower:
                    seen.append(update)
                    if isinstance(update, ProgressUpdate) and update.node_id == "3":
                        # node 3 is only known from the replayed `executing` once /queue
                        # said that this prompt is the running one
                        second.set()
    assert server.first_frames == [FEATURE_FLAGS, FEATURE_FLAGS]
    assert f"/history/{pid}" in server.http_paths and "/queue" in server.http_paths
    assert seen[-1] == Interrupted(pid, "4", "ImageBlur")
    assert_progress_sane(seen)


@pytest.mark.parametrize("signal", ["SIGKILL", "SIGTERM", "SIGINT"])
async def test_server_killed_prompts_are_lost_16(signal: str) -> None:
    name = f"16_server_killed_mid_job_{signal}"
    running, pending = load(name)["prompt_ids"]
    gate = asyncio.Event()
    segments = [
        Segment(ws_frames(name, "ws"), gate=gate, end="drop"),
        Segment(ws_frames(name, "ws_after_restart_same_clientId")),
    ]
    # what the restarted server answered: nothing queued, no history
    http = {f"/history/{running}": {}, f"/history/{pending}": {}, "/queue": {
        "queue_running": [], "queue_pending": []}}
    async with replay_server(segments, http, refuse_reconnects=2) as server:
        async with ComfyClient(server.base_url) as client:
            async with ComfySession(client, backoff_initial=0.01, backoff_max=0.05) as session:
                await session.wait_connected(5)
                followers = [session.track(running), session.track(pending)]
                gate.set()
                results = await asyncio.wait_for(asyncio.gather(*map(collect, followers)), 10)
    assert len(server.first_frames) == 2  # reconnected after two refused handshakes
    assert isinstance(results[0][-1], Lost) and isinstance(results[1][-1], Lost)
    assert results[0][-1].prompt_id == running
    assert of_type(results[0], ProgressUpdate)[-1].node_id == "3"
