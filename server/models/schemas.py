"""Wire types of GET /api/models."""

from __future__ import annotations

import msgspec


class ModelLists(msgspec.Struct, kw_only=True):
    # Checkpoints; the original system's name.
    models: list[str]
    # diffusion_models (UNETs); the original system's name.
    unet_models: list[str]
    loras: list[str]
    vae: list[str]
    text_encoders: list[str]
    upscale_models: list[str]


# ModelLists field -> the ComfyUI model folder it lists.
FOLDERS = {
    "models": "checkpoints",
    "unet_models": "diffusion_models",
    "loras": "loras",
    "vae": "vae",
    "text_encoders": "text_encoders",
    "upscale_models": "upscale_models",
}
