"""Successful prompts: frame order, history shape, files, binary frames (captures 01-04, 15)."""

from __future__ import annotations

import io
import json
import struct

from PIL import Image

from .helpers import Recorder, capture, compact, is_json, png_bytes, recorded_frames, workflow


def test_compact_notation_matches_the_recorder() -> None:
    # Guards the helper the other tests rely on.
    for name in (
        "01_success_emptyimage_saveimage",
        "03_success_ws_images_legacy_binary",
        "06_execution_error_blend_batch_mismatch",
    ):
        cap = capture(name)
        assert compact(recorded_frames(cap)) == cap["ws_sequence"]


async def test_frames_history_and_files_like_capture_01(comfy_double, http) -> None:
    cap = capture("01_success_emptyimage_saveimage")
    client_id = cap["client_id"]
    ws = await Recorder.connect(comfy_double.ws_url, client_id)
    r = await http.post("/prompt", json={"prompt": workflow("empty_image_save_batch2"), "client_id": client_id})
    assert r.status_code == 200
    body = r.json()
    assert list(body) == ["prompt_id", "number", "node_errors"] and body["number"] == 0 and body["node_errors"] == {}
    prompt_id = body["prompt_id"]
    await ws.wait_done(prompt_id)

    assert compact(ws.frames) == cap["ws_sequence"]
    assert ws.frames[0]["data"]["sid"] == client_id
    recorded = recorded_frames(cap)
    for ours, theirs in zip(ws.frames, recorded):
        assert ours["type"] == theirs["type"]
        assert set(ours["data"]) == set(theirs["data"])  # same fields in every frame
    executed = ws.of("executed")[0]["data"]["output"]
    recorded_executed = next(f for f in recorded if f["type"] == "executed")
    assert executed == recorded_executed["data"]["output"]  # empty_00001_.png, empty_00002_.png in studio_probe/

    history = (await http.get(f"/history/{prompt_id}")).json()[prompt_id]
    rec_history = next(e for e in cap["events"] if e.get("label", "").startswith("history after"))["response"]["json"]
    rec_entry = next(iter(rec_history.values()))
    assert list(history) == ["prompt", "outputs", "status", "meta"]
    assert history["prompt"][0] == 0 and history["prompt"][1] == prompt_id
    assert history["prompt"][2:] == rec_entry["prompt"][2:]  # graph, {"client_id"}, outputs_to_execute
    assert history["outputs"] == rec_entry["outputs"] and history["meta"] == rec_entry["meta"]
    assert [m[0] for m in history["status"]["messages"]] == ["execution_start", "execution_cached", "execution_success"]
    assert history["status"]["status_str"] == "success" and history["status"]["completed"] is True

    for image in executed["images"]:
        r = await http.get("/view", params=image)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.headers["content-disposition"] == f'filename="{image["filename"]}"'
        assert Image.open(io.BytesIO(r.content)).size == (512, 512)
    assert (comfy_double.output_dir / "studio_probe" / "empty_00002_.png").is_file()
    assert (await http.get("/queue")).json() == {"queue_running": [], "queue_pending": []}
    await ws.close()


async def test_upload_chain_runs_in_comfyui_order_like_capture_02(comfy_double, http) -> None:
    cap = capture("02_success_upload_loadimage_chain")
    r = await http.post(
        "/upload/image", files={"image": ("studio_probe_in.png", png_bytes(320, 240))}, data={"overwrite": "true"}
    )
    assert r.json() == {"name": "studio_probe_in.png", "subfolder": "", "type": "input"}
    ws = await Recorder.connect(comfy_double.ws_url, "client-02")
    prompt_id = (
        await http.post(
            "/prompt", json={"prompt": workflow("loadimage_scale_invert_blend_save"), "client_id": "client-02"}
        )
    ).json()["prompt_id"]
    await ws.wait_done(prompt_id)
    assert compact(ws.frames) == cap["ws_sequence"]  # 1, 2, 7 (PreviewImage first), 4, 3, 5, 6

    outputs = (await http.get(f"/history/{prompt_id}")).json()[prompt_id]["outputs"]
    preview, saved = outputs["7"]["images"][0], outputs["6"]["images"][0]
    assert preview["type"] == "temp" and preview["filename"].startswith("ComfyUI_temp_")
    assert preview["filename"].endswith("_00001_.png") and preview["subfolder"] == ""
    assert saved == {"filename": "chain_00001_.png", "subfolder": "studio_probe", "type": "output"}
    for image in (preview, saved):
        content = (await http.get("/view", params=image)).content
        assert Image.open(io.BytesIO(content)).size == (256, 192)  # ImageScale to 256x192
    await ws.close()


async def test_legacy_binary_previews_and_text_like_capture_03(comfy_double, http) -> None:
    cap = capture("03_success_ws_images_legacy_binary")
    ws = await Recorder.connect(comfy_double.ws_url, "client-03")
    prompt_id = (
        await http.post("/prompt", json={"prompt": workflow("getimagesize_savewebsocket"), "client_id": "client-03"})
    ).json()["prompt_id"]
    await ws.wait_done(prompt_id)
    assert compact(ws.frames) == cap["ws_sequence"]
    binaries = [f for f in ws.frames if isinstance(f, bytes)]
    recorded_text = next(f for f in recorded_frames(cap) if isinstance(f, bytes))
    assert binaries[0] == recorded_text  # byte-identical TEXT frame: "width: 64, height: 48\n batch size: 3"
    for frame in binaries[1:]:
        assert frame[:8] == bytes.fromhex("0000000100000002")  # PREVIEW_IMAGE, PNG
        assert Image.open(io.BytesIO(frame[8:])).size == (64, 48)
    progress = [(f["data"]["value"], f["data"]["max"]) for f in ws.of("progress")]
    assert progress == [(0, 3), (1, 3), (2, 3)]  # SaveImageWebsocket never reaches max
    last_state = ws.of("progress_state")[-1]["data"]["nodes"]["4"]
    assert (last_state["value"], last_state["max"], last_state["state"]) == (3, 3, "finished")
    assert (await http.get(f"/history/{prompt_id}")).json()[prompt_id]["outputs"] == {}
    await ws.close()


async def test_preview_metadata_frames_like_capture_04(comfy_double, http) -> None:
    cap = capture("04_success_ws_images_preview_metadata")
    ws = await Recorder.connect(comfy_double.ws_url, "client-04", feature_flags=True)
    await ws.wait_for(lambda f: is_json(f, "feature_flags"))
    assert ws.of("feature_flags")[0]["data"] == {"supports_preview_metadata": True, "max_upload_size": 104857600}
    prompt_id = (
        await http.post("/prompt", json={"prompt": workflow("getimagesize_savewebsocket"), "client_id": "client-04"})
    ).json()["prompt_id"]
    await ws.wait_done(prompt_id)
    assert compact(ws.frames) == cap["ws_sequence"]
    frame = next(f for f in ws.frames if isinstance(f, bytes) and f[:4] == b"\x00\x00\x00\x04")
    (length,) = struct.unpack(">I", frame[4:8])
    metadata = json.loads(frame[8 : 8 + length])
    assert metadata == {
        "node_id": "4",
        "prompt_id": prompt_id,
        "display_node_id": "4",
        "parent_node_id": None,
        "real_node_id": "4",
        "image_type": "image/png",
    }
    assert Image.open(io.BytesIO(frame[8 + length :])).size == (64, 48)
    await ws.close()


async def test_text_output_like_capture_15(comfy_double, http) -> None:
    cap = capture("15_success_text_output_previewany")
    ws = await Recorder.connect(comfy_double.ws_url, "client-15")
    graph = workflow("string_regex_previewany")
    first = (await http.post("/prompt", json={"prompt": graph, "client_id": "client-15"})).json()["prompt_id"]
    await ws.wait_done(first)
    graph["2"]["inputs"]["regex_pattern"] = "(unclosed"  # swallowed by the node: text [""]
    second = (await http.post("/prompt", json={"prompt": graph, "client_id": "client-15"})).json()["prompt_id"]
    await ws.wait_done(second)
    assert compact(ws.frames) == cap["ws_sequence"]
    assert [f["data"]["output"] for f in ws.of("executed")] == [{"text": ["42"]}, {"text": [""]}]
    history = (await http.get(f"/history/{second}")).json()[second]
    assert history["outputs"] == {"3": {"text": [""]}} and history["status"]["status_str"] == "success"
    await ws.close()


async def test_history_is_stored_before_execution_success(comfy_double, http) -> None:
    ws = await Recorder.connect(comfy_double.ws_url, "client-17")
    prompt_id = (
        await http.post("/prompt", json={"prompt": workflow("cache_probe_scale_invert_save"), "client_id": "client-17"})
    ).json()["prompt_id"]
    await ws.wait_for(lambda f: is_json(f, "execution_success"))
    assert prompt_id in (await http.get(f"/history/{prompt_id}")).json()
    await ws.close()
