"""Global vs targeted interrupts (captures 08, 09a, 09b)."""

from __future__ import annotations

from .helpers import Recorder, capture, compact, is_json, workflow


async def test_global_interrupt_lands_at_next_node_like_capture_08(comfy_double, http) -> None:
    cap = capture("08_interrupt_between_nodes")
    comfy_double.settings.class_seconds = {"ImageBlur": 0.08}  # a node without progress cannot be stopped
    ws = await Recorder.connect(comfy_double.ws_url, "c08")
    prompt_id = (await http.post("/prompt", json={"prompt": workflow("slow_blur_chain"), "client_id": "c08"})).json()[
        "prompt_id"
    ]
    await comfy_double.wait_executing("3", prompt_id)
    r = await http.post("/interrupt", json={})
    assert (r.status_code, r.content) == (200, b"")
    await ws.wait_done(prompt_id)

    assert compact(ws.frames) == cap["ws_sequence"]  # ... executing(3) ... executing(4) execution_interrupted
    data = ws.of("execution_interrupted")[0]["data"]
    assert (data["node_id"], data["node_type"], sorted(data["executed"])) == ("4", "ImageBlur", ["1", "2", "3"])
    assert list(data) == ["prompt_id", "node_id", "node_type", "executed", "timestamp"]
    history = (await http.get(f"/history/{prompt_id}")).json()[prompt_id]
    assert history["status"]["status_str"] == "error" and history["status"]["completed"] is False
    assert history["status"]["messages"][-1][0] == "execution_interrupted"
    assert comfy_double.global_interrupts == 1 and comfy_double.targeted_interrupts == 0
    await ws.close()


async def test_targeted_interrupt_inside_progress_node_like_capture_09b(comfy_double, http) -> None:
    cap = capture("09b_interrupt_during_progress_targeted")
    comfy_double.settings.step_seconds = 0.02
    graph = workflow("savewebsocket_large_batch")
    graph["1"]["inputs"].update(width=32, height=32)  # same 40 steps, small frames
    ws = await Recorder.connect(comfy_double.ws_url, "c09b")
    prompt_id = (await http.post("/prompt", json={"prompt": graph, "client_id": "c09b"})).json()["prompt_id"]
    await ws.wait_for(lambda f: is_json(f, "progress") and f["data"]["value"] == 2)
    await http.post("/interrupt", json={"prompt_id": prompt_id})
    await ws.wait_done(prompt_id)

    data = ws.of("execution_interrupted")[0]["data"]
    assert (data["node_id"], data["node_type"], data["executed"]) == ("2", "SaveImageWebsocket", ["1"])
    steps = [f["data"]["value"] for f in ws.of("progress")]
    assert 2 <= steps[-1] < 39  # stopped inside the node, at a step boundary
    assert (
        compact(ws.frames)[-3:] == cap["ws_sequence"][-3:]
    )  # ..., execution_interrupted, status(q=0), executing(None)
    assert ws.of("progress_state")[-1]["data"]["nodes"]["2"]["state"] == "running"  # never finished
    assert comfy_double.interrupts[-1].prompt_id == prompt_id and comfy_double.interrupts[-1].applied
    await ws.close()


async def test_targeted_interrupt_for_other_prompt_is_ignored_like_capture_09a(comfy_double, http) -> None:
    comfy_double.settings.step_seconds = 0.005
    graph = workflow("savewebsocket_large_batch")
    graph["1"]["inputs"].update(width=16, height=16, batch_size=10)
    ws = await Recorder.connect(comfy_double.ws_url, "c09a")
    prompt_id = (await http.post("/prompt", json={"prompt": graph, "client_id": "c09a"})).json()["prompt_id"]
    await ws.wait_for(lambda f: is_json(f, "progress"))
    r = await http.post("/interrupt", json={"prompt_id": "5f2e4f2c-not-running"})
    assert (r.status_code, r.content) == (200, b"")
    await ws.wait_done(prompt_id)
    assert ws.of("execution_success") and not ws.of("execution_interrupted")
    # Arriving after the end is ignored too, and a global interrupt between prompts is forgotten.
    await http.post("/interrupt", json={"prompt_id": prompt_id})
    await http.post("/interrupt")
    second = (
        await http.post("/prompt", json={"prompt": workflow("empty_image_save_batch2"), "client_id": "c09a"})
    ).json()["prompt_id"]
    await ws.wait_done(second)
    assert len(ws.of("execution_success")) == 2
    assert [(i.prompt_id is None, i.applied) for i in comfy_double.interrupts] == [
        (False, False),
        (False, False),
        (True, True),
    ]
    assert comfy_double.global_interrupts == 1 and comfy_double.targeted_interrupts == 2
    await ws.close()
