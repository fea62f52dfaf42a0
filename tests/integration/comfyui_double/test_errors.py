"""Run-time errors: recorded ones (captures 06, 07) and the forced-failure hooks."""

from __future__ import annotations

from .helpers import Recorder, capture, compact, workflow


def recorded_error(cap: dict) -> dict:
    return next(e["message"]["data"] for e in cap["events"] if e.get("message", {}).get("type") == "execution_error")


async def test_blend_batch_mismatch_like_capture_06(comfy_double, http) -> None:
    cap = capture("06_execution_error_blend_batch_mismatch")
    ws = await Recorder.connect(comfy_double.ws_url, "c06")
    prompt_id = (
        await http.post("/prompt", json={"prompt": workflow("exec_error_blend_batch_mismatch"), "client_id": "c06"})
    ).json()["prompt_id"]
    await ws.wait_done(prompt_id)
    assert compact(ws.frames) == cap["ws_sequence"]  # runs 2 before 1, no executed/execution_success

    error, expected = ws.of("execution_error")[0]["data"], recorded_error(cap)
    assert list(error) == list(expected)
    for key in ("node_id", "node_type", "executed", "exception_message", "exception_type", "traceback"):
        assert error[key] == expected[key], key
    assert sorted(error["current_outputs"]) == sorted(expected["current_outputs"])
    assert list(error["current_inputs"]) == list(expected["current_inputs"])
    assert error["current_inputs"]["blend_factor"] == [0.5]
    # The failed node stays "running" in progress_state: it is never marked finished.
    assert ws.of("progress_state")[-1]["data"]["nodes"]["3"]["state"] == "running"

    history = (await http.get(f"/history/{prompt_id}")).json()[prompt_id]
    assert history["status"]["status_str"] == "error" and history["status"]["completed"] is False
    assert history["status"]["messages"][-1][0] == "execution_error"
    assert history["outputs"] == {} and history["meta"] == {}
    await ws.close()


async def test_corrupt_upload_fails_at_run_time_like_capture_07(comfy_double, http) -> None:
    cap = capture("07_execution_error_corrupt_input_image")
    r = await http.post(
        "/upload/image",
        files={"image": ("studio_probe_corrupt.png", b"not a png at all")},
        data={"type": "input", "overwrite": "true"},
    )
    assert r.json() == {"name": "studio_probe_corrupt.png", "subfolder": "", "type": "input"}  # not checked
    ws = await Recorder.connect(comfy_double.ws_url, "c07")
    graph = workflow("loadimage_save")
    graph["1"]["inputs"]["image"] = "studio_probe_corrupt.png"
    prompt_id = (await http.post("/prompt", json={"prompt": graph, "client_id": "c07"})).json()["prompt_id"]
    await ws.wait_done(prompt_id)
    assert compact(ws.frames) == cap["ws_sequence"]
    error, expected = ws.of("execution_error")[0]["data"], recorded_error(cap)
    path = comfy_double.input_dir / "studio_probe_corrupt.png"
    assert error["exception_message"] == f"cannot identify image file '{path}'\n"
    for key in ("node_id", "node_type", "executed", "exception_type", "traceback", "current_inputs"):
        assert error[key] == expected[key], key
    await ws.close()


async def test_forced_failure_by_class_type(comfy_double, http) -> None:
    comfy_double.settings.fail_class_types = ["SaveImage"]
    ws = await Recorder.connect(comfy_double.ws_url, "forced")
    prompt_id = (
        await http.post("/prompt", json={"prompt": workflow("empty_image_save_batch2"), "client_id": "forced"})
    ).json()["prompt_id"]
    await ws.wait_done(prompt_id)
    error = ws.of("execution_error")[0]["data"]
    assert (error["node_id"], error["node_type"], error["executed"]) == ("2", "SaveImage", ["1"])
    assert (error["exception_type"], error["exception_message"]) == ("RuntimeError", "ComfyDouble forced failure\n")
    assert not list(comfy_double.output_dir.rglob("*.png"))
    await ws.close()


async def test_forced_failure_by_magic_value(comfy_double, http) -> None:
    comfy_double.settings.fail_message = "CUDA out of memory"
    comfy_double.settings.fail_exception_type = "torch.OutOfMemoryError"
    graph = workflow("string_regex_previewany")
    graph["1"]["inputs"]["value"] = comfy_double.settings.fail_value
    prompt_id = (await http.post("/prompt", json={"prompt": graph})).json()["prompt_id"]
    await comfy_double.wait_idle()
    entry = (await http.get(f"/history/{prompt_id}")).json()[prompt_id]
    kind, data = entry["status"]["messages"][-1]
    assert kind == "execution_error" and data["node_id"] == "1"
    assert data["exception_type"] == "torch.OutOfMemoryError"
    assert data["exception_message"] == "CUDA out of memory\n"
