"""ComfyClient against a real local HTTP server that answers with recorded responses."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from server.comfy import (
    ComfyBadRequest,
    ComfyClient,
    ComfyNotFound,
    ComfyRejected,
    ComfyUnavailable,
)
from server.comfy.messages import UploadedImage
from tests.unit.comfy.captures import DATA, events, http_json, load
from tests.unit.comfy.recorded_http import Reply, recorded_http
from tests.net import free_port

pytestmark = pytest.mark.timeout(10)

GRAPH = load("01")["events"][2]["request"]["json"]["prompt"]


def recorded(capture: str, label: str) -> Reply:
    response = next(e["response"] for e in events(capture, "http") if label in e["label"])
    if "json" in response:
        return Reply.json(response["json"], response["status"])
    return Reply(response["status"], response.get("text", "").encode(), response["content_type"])


async def test_submit_sends_our_ids_and_returns_the_acceptance() -> None:
    routes = {("POST", "/prompt"): recorded("01", "queue prompt")}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        accepted = await client.submit(GRAPH, "pid-1", "client-1", {"studio_job": "j1"})
    assert accepted.prompt_id == load("01")["prompt_id"] and accepted.number == 4
    assert server.requests[0].json() == {
        "prompt": GRAPH,
        "client_id": "client-1",
        "prompt_id": "pid-1",
        "extra_data": {"studio_job": "j1"},
    }


async def test_submit_400_raises_rejected_with_sentence() -> None:
    routes = {("POST", "/prompt"): recorded("05b", "no checkpoints")}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        with pytest.raises(ComfyRejected) as caught:
            await client.submit(GRAPH, "pid-1", "client-1")
    assert str(caught.value).startswith("Node 4 (CheckpointLoaderSimple) input 'ckpt_name'")
    assert caught.value.prompt_id is None


async def test_partial_acceptance_is_rejected_and_withdrawn() -> None:
    reply = recorded("05", "partial accept")
    pid = "d854a480-f675-48ed-a800-d16cd7f9955b"
    routes = {("POST", "/prompt"): reply, ("POST", "/queue"): Reply(), ("POST", "/interrupt"): Reply()}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        with pytest.raises(ComfyRejected) as caught:
            await client.submit(GRAPH, pid, "client-1")
    assert caught.value.prompt_id == pid
    assert caught.value.sentences == [
        "Node 3 (EmptyImage) input 'width': value -5 smaller than min of 1"
    ]
    withdrawn = [(r.path, r.json()) for r in server.requests[1:]]
    assert withdrawn == [("/queue", {"delete": [pid]}), ("/interrupt", {"prompt_id": pid})]


async def test_non_json_500_is_unavailable() -> None:
    routes = {("POST", "/prompt"): recorded("05", "body is not JSON")}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        with pytest.raises(ComfyUnavailable, match="500"):
            await client.submit(GRAPH, "pid-1", "client-1")


async def test_refused_reset_and_timeout_are_unavailable() -> None:
    async with ComfyClient(f"http://127.0.0.1:{free_port()}") as client:
        with pytest.raises(ComfyUnavailable):
            await client.history("x")
    routes = {("GET", "/queue"): Reply(reset=True), ("GET", "/system_stats"): Reply(hang=True)}
    async with recorded_http(routes) as server:
        async with ComfyClient(server.base_url, timeout=httpx.Timeout(0.3)) as client:
            with pytest.raises(ComfyUnavailable):
                await client.queue()
            with pytest.raises(ComfyUnavailable):
                await client.system_stats()


async def test_history_queue_delete_and_targeted_interrupt() -> None:
    pid = load("01")["prompt_id"]
    routes = {
        ("GET", f"/history/{pid}"): Reply.json(http_json("01", f"/history/{pid}")),
        ("GET", "/history/pending"): Reply.json({}),
        ("GET", "/queue"): recorded("10", "queue: 1 running + 3 pending"),
        ("POST", "/queue"): Reply(),
        ("POST", "/interrupt"): Reply(),
    }
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        entry = await client.history(pid)
        assert entry is not None and entry.status is not None
        assert entry.status.status_str == "success"
        assert [i.filename for i in entry.outputs["2"].images] == ["empty_00001_.png", "empty_00002_.png"]
        assert await client.history("pending") is None
        queue = await client.queue()
        assert len(queue.queue_running) == 1 and len(queue.queue_pending) == 3
        await client.delete_pending("p1")
        await client.interrupt("p1")
    assert server.requests[-2].json() == {"delete": ["p1"]}
    assert server.requests[-1].json() == {"prompt_id": "p1"}


async def test_upload_returns_the_servers_name() -> None:
    routes = {("POST", "/upload/image"): recorded("12", "DIFFERENT bytes")}
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        uploaded = await client.upload_image(b"\x89PNG...", "in.png", "studio_jobs/job-7")
    name = load("12")["filename"].replace(".png", " (1).png")
    assert uploaded == UploadedImage(name, "", "input")
    body = server.requests[0].body
    assert b'name="image"; filename="in.png"' in body and b"\x89PNG..." in body
    assert b'name="subfolder"\r\n\r\nstudio_jobs/job-7' in body
    assert b'name="overwrite"' not in body


async def test_view_streams_bytes_and_maps_errors() -> None:
    big = io.BytesIO()
    Image.effect_noise((1024, 1024), 64).save(big, "PNG")
    routes = {
        ("GET", "/view"): [
            Reply(200, big.getvalue(), "image/png"),
            Reply(200, big.getvalue(), "image/png"),
            Reply(404, b"", ""),
            Reply(400, b"", ""),
            Reply(403, b"", ""),
        ]
    }
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        assert await client.view("a_00001_.png", "studio", "output") == big.getvalue()
        chunks = [c async for c in client.stream_view("a_00001_.png", "studio", "output")]
        assert len(chunks) > 1 and b"".join(chunks) == big.getvalue()
        with pytest.raises(ComfyNotFound):
            await client.view("missing.png")
        with pytest.raises(ComfyBadRequest) as bad:
            await client.view("../x.png")
        assert bad.value.status == 400
        with pytest.raises(ComfyBadRequest):
            await client.view("x.png", "../..")
    assert server.requests[0].query == {
        "filename": ["a_00001_.png"],
        "subfolder": ["studio"],
        "type": ["output"],
    }


async def test_models_unknown_folder_is_not_found_not_unavailable() -> None:
    routes = {
        ("GET", "/models/checkpoints"): Reply.json(["sd15.safetensors"]),
        ("GET", "/models/unet"): recorded("13", "/models/unet"),
    }
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        assert await client.models("checkpoints") == ["sd15.safetensors"]
        with pytest.raises(ComfyNotFound, match="unet"):
            await client.models("unet")


async def test_catalogue_and_system_stats() -> None:
    routes = {
        ("GET", "/object_info"): Reply(200, (DATA / "http" / "object_info.json").read_bytes()),
        ("GET", "/system_stats"): recorded("13", "/system_stats"),
    }
    async with recorded_http(routes) as server, ComfyClient(server.base_url) as client:
        assert len(await client.object_info()) == 496
        stats = await client.system_stats()
    assert stats.system.comfyui_version == "0.3.64"
    assert stats.devices[0].name == "cpu"


def test_ws_url() -> None:
    assert ComfyClient("http://h:8188/").ws_url("c 1") == "ws://h:8188/ws?clientId=c%201"
    assert ComfyClient("https://h/comfy").ws_url("c") == "wss://h/comfy/ws?clientId=c"
