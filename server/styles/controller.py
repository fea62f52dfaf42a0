"""GET /api/styles: the prompt styles of the styles folder."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from server.styles.registry import StyleRegistry
from server.styles.schemas import Style


@get("/api/styles", summary="Every prompt style a job may name", tags=["styles"])
async def list_styles(styles: NamedDependency[StyleRegistry]) -> list[Style]:
    return list(styles)
