"""Killed mid-job and restarted (capture 16), in-process and as a real SIGKILLed child process."""

from __future__ import annotations

import httpx
import pytest
import websockets

from .helpers import Recorder, workflow


async def submit_slow_and_pending(url: str, client_id: str) -> list[str]:
    async with httpx.AsyncClient(base_url=url) as http:
        running = await http.post("/prompt", json={"prompt": workflow("slow_blur_chain"), "client_id": client_id})
        pending = await http.post(
            "/prompt", json={"prompt": workflow("empty_image_save_batch2"), "client_id": client_id}
        )
        return [running.json()["prompt_id"], pending.json()["prompt_id"]]


async def assert_fresh_after_restart(url: str, ws_url: str, client_id: str, prompt_ids: list[str]) -> None:
    ws = await Recorder.connect(ws_url, client_id)  # same clientId as before the kill
    assert ws.frames[0]["data"] == {"status": {"exec_info": {"queue_remaining": 0}}, "sid": client_id}
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/queue")).json() == {"queue_running": [], "queue_pending": []}
        assert (await http.get("/history")).json() == {}
        for prompt_id in prompt_ids:
            assert (await http.get(f"/history/{prompt_id}")).json() == {}
        again = await http.post("/prompt", json={"prompt": workflow("empty_image_save_batch2")})
        assert again.json()["number"] == 0  # the counter restarts with the process
    await ws.close()


def assert_no_close_frame(closed: Exception) -> None:
    assert isinstance(closed, websockets.ConnectionClosedError)
    assert closed.rcvd is None and closed.sent is None  # "no close frame received or sent" = 1006


async def test_kill_mid_job_then_restart(comfy_double) -> None:
    comfy_double.settings.class_seconds = {"ImageBlur": 0.3}
    ws = await Recorder.connect(comfy_double.ws_url, "c16")
    ids = await submit_slow_and_pending(comfy_double.url, "c16")
    await comfy_double.wait_executing("2", ids[0])
    port = comfy_double.port

    comfy_double.kill()
    assert_no_close_frame(await ws.wait_closed())
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"{comfy_double.url}/queue")
    with pytest.raises(OSError):
        await websockets.connect(comfy_double.ws_url)

    comfy_double.restart()
    assert comfy_double.port == port
    await assert_fresh_after_restart(comfy_double.url, comfy_double.ws_url, "c16", ids)
    assert [p.status for p in comfy_double.received_prompts] == [200, 200, 200]  # kept across restarts


async def test_sigkill_of_the_process_variant(comfy_double_process) -> None:
    double = comfy_double_process
    ws = await Recorder.connect(double.ws_url, "c16p")
    ids = await submit_slow_and_pending(double.url, "c16p")
    await ws.wait_for(lambda f: isinstance(f, dict) and f["type"] == "execution_start")
    double.kill()
    assert_no_close_frame(await ws.wait_closed())
    double.restart()
    await assert_fresh_after_restart(double.url, double.ws_url, "c16p", ids)
