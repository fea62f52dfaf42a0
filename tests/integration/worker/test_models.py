"""GET /api/models comes from ComfyUI; unknown model names are refused with the valid ones."""

from __future__ import annotations

from tests.comfyui_double.double import ComfyDouble
from tests.common.stacks import MODELS
from tests.integration.worker.stack import Stack


def test_model_lists_come_from_comfyui(stack: Stack) -> None:
    lists = stack.http.get("/api/models").json()
    assert lists["models"] == sorted(MODELS["checkpoints"])
    assert lists["unet_models"] == MODELS["diffusion_models"]
    assert lists["vae"] == MODELS["vae"] and lists["upscale_models"] == MODELS["upscale_models"]
    assert lists["loras"] == []


def test_unknown_model_is_refused_with_the_valid_names(stack: Stack) -> None:
    response = stack.http.post(
        "/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "x", "model": "sd15.safetensors"}}
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "params.model"
    assert "'sd15.safetensors' is not in ComfyUI's checkpoints" in error["message"]
    assert "other.safetensors" in error["message"] and "sd_xl_base_1.0.safetensors" in error["message"]
    assert stack.http.get("/api/jobs").json()["items"] == []


def test_unreachable_comfyui_is_503_never_an_invented_list(stack: Stack, double: ComfyDouble) -> None:
    double.kill()
    response = stack.http.get("/api/models")
    assert response.status_code == 503
    assert "ComfyUI is unreachable" in response.json()["detail"] and double.url in response.json()["detail"]
    # Submitting still works: the job waits for ComfyUI in the queue.
    assert stack.http.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "x"}}).status_code == 202
