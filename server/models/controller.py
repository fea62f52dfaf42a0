"""GET /api/models: what ComfyUI has, never an invented list."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from server.comfy import ComfyUnavailable
from server.errors import Unavailable, error_responses
from server.models.catalog import ModelCatalog
from server.models.schemas import FOLDERS, ModelLists


@get("/api/models", tags=["models"], summary="Model files ComfyUI has, per folder", responses=error_responses(503))
async def list_models(models: NamedDependency[ModelCatalog]) -> ModelLists:
    try:
        lists = await models.folders(list(FOLDERS.values()))
    except ComfyUnavailable as exc:
        raise Unavailable(f"{exc}. The model lists come from ComfyUI; start it or check STUDIO_COMFY_URL.") from None
    return ModelLists(**{field: lists[folder] for field, folder in FOLDERS.items()})
