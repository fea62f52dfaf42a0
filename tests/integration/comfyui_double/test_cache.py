"""Classic cache (capture 11): identical re-run, prefix change, middle node change."""

from __future__ import annotations

from .helpers import Recorder, capture, compact, png_bytes, workflow


async def run(http, ws: Recorder, graph: dict) -> tuple[str, list]:
    start = len(ws.frames)
    prompt_id = (await http.post("/prompt", json={"prompt": graph, "client_id": "c11"})).json()["prompt_id"]
    await ws.wait_done(prompt_id)
    return prompt_id, ws.frames[start:]


async def test_cached_reruns_like_capture_11(comfy_double, http) -> None:
    expected = capture("11_cached_rerun")["ws_sequence_per_run"]
    ws = await Recorder.connect(comfy_double.ws_url, "c11")
    graph = workflow("cache_probe_scale_invert_save")

    _, run1 = await run(http, ws, graph)
    _, run2 = await run(http, ws, workflow("cache_probe_scale_invert_save"))
    graph["3"]["inputs"]["filename_prefix"] = "studio_probe/cached_changed_prefix"
    _, run3 = await run(http, ws, graph)
    graph = workflow("cache_probe_scale_invert_save")
    graph["2"] = {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}}
    last_id, run4 = await run(http, ws, graph)

    assert [compact(r) for r in (run1, run2, run3, run4)] == [expected[f"run{i}"] for i in range(1, 5)]
    cached = [next(f for f in r if f["type"] == "execution_cached")["data"]["nodes"] for r in (run1, run2, run3, run4)]
    assert cached == [[], ["1", "2", "3"], ["1", "2"], ["1"]]
    files = [
        next(f for f in r if f["type"] == "executed")["data"]["output"]["images"][0]["filename"]
        for r in (run1, run2, run3, run4)
    ]
    assert files == ["cached_00001_.png", "cached_00001_.png", "cached_changed_prefix_00001_.png", "cached_00002_.png"]
    assert sorted(p.name for p in (comfy_double.output_dir / "studio_probe").iterdir()) == [
        "cached_00001_.png",
        "cached_00002_.png",
        "cached_changed_prefix_00001_.png",
    ]  # the fully cached run wrote nothing
    # A fully cached output node reports progress value/max as ints (ComfyUI's untouched entry).
    state = next(f for f in run2 if f["type"] == "progress_state")["data"]["nodes"]["3"]
    assert (state["value"], state["max"], state["state"]) == (1, 1, "finished")
    history = (await http.get(f"/history/{last_id}")).json()[last_id]
    assert history["status"]["messages"][1][1]["nodes"] == ["1"]
    await ws.close()


async def test_only_the_previous_prompt_is_cached(comfy_double, http) -> None:
    a, b = workflow("cache_probe_scale_invert_save"), workflow("empty_image_save_batch2")
    ws = await Recorder.connect(comfy_double.ws_url, "c11")
    await run(http, ws, a)
    await run(http, ws, b)  # evicts everything a used
    _, frames = await run(http, ws, workflow("cache_probe_scale_invert_save"))
    assert next(f for f in frames if f["type"] == "execution_cached")["data"]["nodes"] == []
    await ws.close()


async def test_cached_rerun_without_client_id_has_empty_history_outputs(comfy_double, http) -> None:
    # A 0.3.64 bug kept on purpose: cached UI reaches history only when the prompt has a client_id.
    first = (await http.post("/prompt", json={"prompt": workflow("cache_probe_scale_invert_save")})).json()
    second = (await http.post("/prompt", json={"prompt": workflow("cache_probe_scale_invert_save")})).json()
    await comfy_double.wait_idle()
    history = (await http.get("/history")).json()
    assert history[first["prompt_id"]]["outputs"]["3"]["images"][0]["filename"] == "cached_00001_.png"
    assert history[second["prompt_id"]]["outputs"] == {}
    assert history[second["prompt_id"]]["status"]["status_str"] == "success"


async def test_changed_input_file_invalidates_load_image(comfy_double, http) -> None:
    comfy_double.add_input("in.png", png_bytes(40, 30))
    graph = workflow("loadimage_save")
    graph["1"]["inputs"]["image"] = "in.png"
    ws = await Recorder.connect(comfy_double.ws_url, "c11")
    await run(http, ws, graph)
    _, same = await run(http, ws, workflow("loadimage_save") | {"1": graph["1"]})
    comfy_double.add_input("in.png", png_bytes(80, 60))
    _, changed = await run(http, ws, workflow("loadimage_save") | {"1": graph["1"]})
    assert next(f for f in same if f["type"] == "execution_cached")["data"]["nodes"] == ["1", "2"]
    assert next(f for f in changed if f["type"] == "execution_cached")["data"]["nodes"] == []
    await ws.close()
