"""GET /api/models: what ComfyUI has, never an invented list."""

from __future__ import annotations

import msgspec
from litestar import get
from litestar.di import NamedDependency

from server.errors import Unavailable
from server.models.catalog import ComfyUnreachable, ModelCatalog


class ModelLists(msgspec.Struct, kw_only=True):
    # Checkpoints; the original system's name.
    models: list[str]
    # diffusion_models (UNETs); the original system's name.
    unet_models: list[str]
    loras: list[str]
    vae: list[str]
    text_encoders: list[str]
    upscale_models: list[str]


FOLDERS = {
    "models": "checkpoints",
    "unet_models": "diffusion_models",
    "loras": "loras",
    "vae": "vae",
    "text_encoders": "text_encoders",
    "upscale_models": "upscale_models",
}


@get("/api/models", tags=["models"], summary="Model files ComfyUI has, per folder")
async def list_models(models: NamedDependency[ModelCatalog]) -> ModelLists:
    try:
        lists = await models.folders(list(FOLDERS.values()))
    except ComfyUnreachable as exc:
        raise Unavailable(f"{exc}. The model lists come from ComfyUI; start it or check STUDIO_COMFY_URL.") from None
    return ModelLists(**{field: lists[folder] for field, folder in FOLDERS.items()})
