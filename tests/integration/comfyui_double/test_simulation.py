"""Model workflows, sizes through the graph, sampler previews and the timing knobs."""

from __future__ import annotations

import io
import json
import struct
import time

from PIL import Image

from .helpers import Recorder, is_json, png_bytes

MODELS = {"checkpoints": ["sdxl.safetensors"], "upscale_models": ["4x.pth"]}


def txt2img(width: int = 1024, height: int = 768, steps: int = 4, batch: int = 1, seed: int = 7) -> dict:
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl.safetensors"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": width, "height": height, "batch_size": batch}},
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "model": ["4", 0],
                "seed": seed,
                "steps": steps,
                "cfg": 7.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
                "denoise": 1.0,
            },
        },
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "studio/t2i"}},
    }


async def image_sizes(http, images: list[dict]) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO((await http.get("/view", params=im)).content)).size for im in images]


async def test_sampler_previews_legacy_and_metadata(comfy_double, http) -> None:
    comfy_double.settings.models = MODELS
    comfy_double.settings.preview_method = "auto"
    legacy = await Recorder.connect(comfy_double.ws_url, "legacy")
    modern = await Recorder.connect(comfy_double.ws_url, "modern", feature_flags=True)
    for seed, (client_id, rec) in enumerate((("legacy", legacy), ("modern", modern))):
        r = await http.post("/prompt", json={"prompt": txt2img(batch=2, seed=seed), "client_id": client_id})
        await rec.wait_done(r.json()["prompt_id"])
        images = rec.of("executed")[0]["data"]["output"]["images"]
        assert len(images) == 2 and await image_sizes(http, images) == [(1024, 768)] * 2
    frames = [f for f in legacy.frames if isinstance(f, bytes)]
    assert len(frames) == 4 and all(f[:8] == struct.pack(">II", 1, 1) for f in frames)  # PREVIEW_IMAGE, JPEG
    assert Image.open(io.BytesIO(frames[0][8:])).format == "JPEG"
    frames = [f for f in modern.frames if isinstance(f, bytes)]
    (length,) = struct.unpack(">I", frames[0][4:8])
    assert len(frames) == 4 and json.loads(frames[0][8 : 8 + length])["image_type"] == "image/jpeg"
    assert [f["data"]["value"] for f in modern.of("progress")] == [1, 2, 3, 4]
    await legacy.close()
    await modern.close()


async def test_upscale_and_load_image_sizes(comfy_double, http) -> None:
    comfy_double.settings.models = MODELS
    comfy_double.add_input("input.png", png_bytes(600, 300))
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "input.png"}},
        "2": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "4x.pth"}},
        "3": {"class_type": "ImageUpscaleWithModel", "inputs": {"upscale_model": ["2", 0], "image": ["1", 0]}},
        "4": {
            "class_type": "ImageScaleBy",
            "inputs": {"image": ["3", 0], "upscale_method": "lanczos", "scale_by": 0.5},
        },
        "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "studio/upscale"}},
    }
    ws = await Recorder.connect(comfy_double.ws_url, "up")
    r = await http.post("/prompt", json={"prompt": graph, "client_id": "up"})
    assert r.status_code == 200, r.text
    await ws.wait_done(r.json()["prompt_id"])
    assert [(f["data"]["value"], f["data"]["max"]) for f in ws.of("progress")] == [(1, 2), (2, 2)]  # 2 tiles
    assert await image_sizes(http, ws.of("executed")[0]["data"]["output"]["images"]) == [(1200, 600)]
    await ws.close()


async def test_job_seconds_spreads_over_the_nodes_that_run(comfy_double, http) -> None:
    comfy_double.settings.models = MODELS
    comfy_double.settings.job_seconds = 0.3
    ws = await Recorder.connect(comfy_double.ws_url, "job")
    started = time.monotonic()
    r = await http.post("/prompt", json={"prompt": txt2img(steps=10), "client_id": "job"})
    await ws.wait_done(r.json()["prompt_id"])
    # At least the configured time; the upper bound only catches a runaway (this machine is shared).
    assert 0.28 <= time.monotonic() - started < 5
    assert len(ws.of("progress")) == 10
    await ws.close()


async def test_preview_method_none_sends_no_sampler_binary(comfy_double, http) -> None:
    comfy_double.settings.models = MODELS
    ws = await Recorder.connect(comfy_double.ws_url, "none")
    r = await http.post("/prompt", json={"prompt": txt2img(), "client_id": "none"})
    await ws.wait_done(r.json()["prompt_id"])
    assert not [f for f in ws.frames if isinstance(f, bytes)]
    assert is_json(ws.frames[-1], "executing")
    await ws.close()
