"""/view, /upload/image and the GET endpoints (captures 01, 12, 12b, 13)."""

from __future__ import annotations

import io

from PIL import Image

from .helpers import Recorder, png_bytes, workflow


async def saved_image(comfy_double, http) -> dict:
    prompt_id = (await http.post("/prompt", json={"prompt": workflow("empty_image_save_batch2")})).json()["prompt_id"]
    await comfy_double.wait_idle()
    return (await http.get(f"/history/{prompt_id}")).json()[prompt_id]["outputs"]["2"]["images"][0]


async def test_view_like_capture_01(comfy_double, http) -> None:
    image = await saved_image(comfy_double, http)
    assert (await http.get("/api/view", params=image)).status_code == 200
    webp = await http.get("/view", params={**image, "preview": "webp;50"})
    assert webp.headers["content-type"] == "image/webp" and webp.content[:4] == b"RIFF"
    assert webp.headers["content-disposition"] == 'filename="empty_00001_.png"'
    rgb = await http.get("/view", params={**image, "channel": "rgb"})
    assert Image.open(io.BytesIO(rgb.content)).mode == "RGB"
    cases = [
        ({"filename": "nope.png", "subfolder": "studio_probe", "type": "output"}, 404),
        ({"filename": "../secret.png", "type": "output"}, 400),
        ({"filename": "empty_00001_.png", "subfolder": "../..", "type": "output"}, 403),
        ({"filename": "empty_00001_.png", "subfolder": "studio_probe", "type": "bogus"}, 400),
        ({"subfolder": "studio_probe"}, 404),
    ]
    for params, status in cases:
        r = await http.get("/view", params=params)
        assert (r.status_code, r.content) == (status, b""), params
    # An annotated name picks the directory itself.
    r = await http.get("/view", params={"filename": "empty_00001_.png [output]", "subfolder": "studio_probe"})
    assert r.status_code == 200


async def test_upload_dedupe_like_capture_12(comfy_double, http) -> None:
    name = "studio_probe_upload.png"
    first, other = png_bytes(4, 4, (1, 2, 3)), png_bytes(4, 4, (9, 9, 9))

    async def upload(data: bytes, **form: str):
        return await http.post("/upload/image", files={"image": (name, data, "image/png")}, data=form)

    assert (await upload(first, type="input")).json() == {"name": name, "subfolder": "", "type": "input"}
    assert (await upload(first, type="input")).json()["name"] == name  # same bytes: deduplicated
    assert (await upload(other, type="input")).json()["name"] == "studio_probe_upload (1).png"
    assert (await upload(other, type="input")).json()["name"] == "studio_probe_upload (1).png"
    assert (await upload(other, type="input", overwrite="true")).json()["name"] == name  # replaced
    sub = await upload(first, type="input", subfolder="studio_probe_sub")
    assert sub.json() == {"name": name, "subfolder": "studio_probe_sub", "type": "input"}
    assert (await upload(first, type="temp")).json() == {"name": name, "subfolder": "", "type": "temp"}
    assert (await upload(first)).json()["name"] == "studio_probe_upload (2).png"  # no type = input
    bad = await upload(first, type="input", subfolder="../../etc")
    assert (bad.status_code, bad.content) == (400, b"")
    no_image = await http.post("/upload/image", files={"other": ("x.txt", b"x", "text/plain")}, data={"type": "input"})
    assert no_image.status_code == 400

    combo = (await http.get("/object_info/LoadImage")).json()["LoadImage"]["input"]["required"]["image"][0]
    assert combo == ["studio_probe_upload (1).png", "studio_probe_upload (2).png", name]  # sorted, top level only
    view = await http.get("/view", params={"filename": name, "type": "input"})
    assert view.content == other
    view = await http.get("/view", params={"filename": name, "type": "input", "subfolder": "studio_probe_sub"})
    assert view.content == first


async def test_load_image_from_subfolder_like_capture_12b(comfy_double, http) -> None:
    await http.post(
        "/upload/image",
        files={"image": ("sub_in.png", png_bytes(50, 40))},
        data={"type": "input", "subfolder": "studio_jobs/job-7", "overwrite": "true"},
    )
    ws = await Recorder.connect(comfy_double.ws_url, "c12b")
    graph = workflow("loadimage_save")
    graph["1"]["inputs"]["image"] = "studio_jobs/job-7/sub_in.png"  # not in the combo, still valid
    r = await http.post("/prompt", json={"prompt": graph, "client_id": "c12b"})
    assert r.status_code == 200
    await ws.wait_done(r.json()["prompt_id"])
    image = ws.of("executed")[0]["data"]["output"]["images"][0]
    assert Image.open(io.BytesIO((await http.get("/view", params=image)).content)).size == (50, 40)

    graph["1"]["inputs"]["image"] = "sub_in.png [input]"
    body = (await http.post("/prompt", json={"prompt": graph})).json()
    assert body["node_errors"]["1"]["errors"][0]["details"] == "image - Invalid image file: sub_in.png [input]"
    await ws.close()


async def test_get_endpoints_like_capture_13(comfy_double, http) -> None:
    info = (await http.get("/object_info")).json()
    assert len(info) == 496 and info["SaveImage"]["output_node"] is True
    assert (await http.get("/object_info/NoSuchNode")).json() == {}
    assert list((await http.get("/api/object_info/EmptyImage")).json()) == ["EmptyImage"]
    models = (await http.get("/models")).json()
    assert models[:3] == ["checkpoints", "configs", "loras"] and len(models) == 20 and "unet" not in models
    for folder, status in (("checkpoints", 200), ("diffusion_models", 200), ("unet", 404), ("no_such_folder", 404)):
        r = await http.get(f"/models/{folder}")
        assert r.status_code == status and (r.json() == [] if status == 200 else r.content == b"")
    assert (await http.get("/embeddings")).json() == []
    assert (await http.get("/features")).json() == {"supports_preview_metadata": True, "max_upload_size": 104857600}
    stats = (await http.get("/api/system_stats")).json()
    assert stats["system"]["comfyui_version"] == "0.3.64" and stats["devices"][0]["type"] == "cpu"
    assert (await http.get("/api/prompt")).json() == {"exec_info": {"queue_remaining": 0}}
    r = await http.get("/api/nonexistent_route")
    assert (r.status_code, r.content) == (404, b"")
