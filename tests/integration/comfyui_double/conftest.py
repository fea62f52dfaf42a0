from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.comfyui_double import DoubleSettings


@pytest.fixture
def comfy_double_settings() -> DoubleSettings:
    # Faster than the defaults: these tests check order and content, not timing.
    return DoubleSettings(node_seconds=0.002, step_seconds=0.002)


@pytest.fixture
async def http(comfy_double) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=comfy_double.url, timeout=5.0) as client:
        yield client
