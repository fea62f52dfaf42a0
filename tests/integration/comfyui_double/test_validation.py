"""POST /prompt validation, replayed against captures 05 and 05b (bodies compared as recorded)."""

from __future__ import annotations

import asyncio

from .helpers import Recorder, capture, label, workflow


async def test_every_recorded_validation_case(comfy_double, http) -> None:
    cap = capture("05_validation_errors")
    ws = await Recorder.connect(comfy_double.ws_url, cap["client_id"])
    cases = [e for e in cap["events"] if e["dir"] == "http"]
    assert len(cases) == len(cap["summary"]) == 15
    for event, summary in zip(cases, cap["summary"]):
        request, expected = event["request"], event["response"]
        seen = len(ws.frames)
        if "raw_body" in request:
            r = await http.post("/prompt", content=request["raw_body"], headers=request["headers"])
        else:
            r = await http.post("/prompt", json=request["json"])
        assert r.status_code == expected["status"], summary["label"]
        if expected["status"] == 500:
            assert r.headers["content-type"] == expected["content_type"] and r.text == expected["text"]
        elif expected["status"] == 400:
            assert r.json() == expected["json"], summary["label"]  # error, node_errors, details, tracebacks
        else:  # partial acceptance: 200 with the invalid branch's node_errors, valid output runs
            assert r.json()["node_errors"] == expected["json"]["node_errors"]
            await ws.wait_done(r.json()["prompt_id"])
        await asyncio.sleep(0.02)
        assert [label(f) for f in ws.frames[seen:]] == summary["ws_messages_during"], summary["label"]
    await ws.close()


async def test_number_counts_every_prompt_request(comfy_double, http) -> None:
    await http.post("/prompt", json={"client_id": "x"})  # 400 no_prompt, still takes number 0
    await http.post("/prompt", json={"prompt": {}})  # 400 prompt_no_outputs, number 1
    r = await http.post("/prompt", json={"prompt": workflow("empty_image_save_batch2")})
    assert r.json()["number"] == 2
    assert [p.status for p in comfy_double.received_prompts] == [400, 400, 200]


async def test_missing_model_like_capture_05b(comfy_double, http) -> None:
    cap = capture("05b_validation_error_missing_model")
    for event in (e for e in cap["events"] if e["dir"] == "http"):
        r = await http.post("/prompt", json=event["request"]["json"])
        assert (r.status_code, r.json()) == (400, event["response"]["json"])


async def test_configured_models_fill_loader_combos_and_validate(comfy_double, http) -> None:
    comfy_double.settings.set_models("checkpoints", ["v1-5-pruned-emaonly.safetensors"])
    comfy_double.settings.set_models("unet", ["flux.safetensors"])  # legacy name -> diffusion_models
    comfy_double.settings.step_seconds = 0.001
    info = (await http.get("/object_info/CheckpointLoaderSimple")).json()
    assert info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] == ["v1-5-pruned-emaonly.safetensors"]
    assert (await http.get("/object_info")).json()["UNETLoader"]["input"]["required"]["unet_name"][0] == [
        "flux.safetensors"
    ]
    assert (await http.get("/models/checkpoints")).json() == ["v1-5-pruned-emaonly.safetensors"]
    assert (await http.get("/models/diffusion_models")).json() == ["flux.safetensors"]

    ws = await Recorder.connect(comfy_double.ws_url, "sd15")
    graph = workflow("needs_model_sd15_txt2img")
    r = await http.post("/prompt", json={"prompt": graph, "client_id": "sd15"})
    assert r.status_code == 200, r.text
    await ws.wait_done(r.json()["prompt_id"])
    sampler = [(f["data"]["value"], f["data"]["max"]) for f in ws.of("progress") if f["data"]["node"] == "3"]
    assert sampler == [(i, 20) for i in range(1, 21)]
    assert not [f for f in ws.frames if isinstance(f, bytes)]  # preview method "none", like the recording
    images = ws.of("executed")[0]["data"]["output"]["images"]
    assert images == [{"filename": "ComfyUI_00001_.png", "subfolder": "", "type": "output"}]

    graph["4"]["inputs"]["ckpt_name"] = "other.safetensors"
    error = (await http.post("/prompt", json={"prompt": graph})).json()["node_errors"]["4"]["errors"][0]
    assert error["type"] == "value_not_in_list"
    assert error["details"] == "ckpt_name: 'other.safetensors' not in ['v1-5-pruned-emaonly.safetensors']"
    await ws.close()


async def test_long_combo_lists_are_summarised(http) -> None:
    graph = workflow("needs_model_sd15_txt2img")
    graph["3"]["inputs"]["sampler_name"] = "bogus"
    body = (await http.post("/prompt", json={"prompt": graph})).json()
    error = body["node_errors"]["3"]["errors"][-1]
    assert error["details"].startswith("sampler_name: 'bogus' not in (list of length ")
    assert error["extra_info"]["input_config"] is None


async def test_partial_execution_targets_and_converted_values(comfy_double, http) -> None:
    graph = workflow("empty_image_save_batch2")
    graph["1"]["inputs"]["width"] = "64"  # INT inputs are converted and stored converted
    graph["3"] = {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}
    r = await http.post("/prompt", json={"prompt": graph, "partial_execution_targets": ["3"]})
    prompt_id = r.json()["prompt_id"]
    await comfy_double.wait_idle()
    entry = (await http.get(f"/history/{prompt_id}")).json()[prompt_id]
    assert entry["prompt"][4] == ["3"] and list(entry["outputs"]) == ["3"]
    assert entry["prompt"][2]["1"]["inputs"]["width"] == 64
