from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.comfy import ComfyClient, ComfySession
from tests.comfyui_double import ComfyDouble, DoubleSettings


@pytest.fixture
def comfy_double_settings() -> DoubleSettings:
    # Fast nodes: these tests check what the client derives, not timings.
    return DoubleSettings(node_seconds=0.002, step_seconds=0.002)


@pytest.fixture
async def client(comfy_double: ComfyDouble) -> AsyncIterator[ComfyClient]:
    async with ComfyClient(comfy_double.url) as client:
        yield client


@pytest.fixture
async def session(client: ComfyClient) -> AsyncIterator[ComfySession]:
    async with ComfySession(client, backoff_initial=0.02, backoff_max=0.2) as session:
        await session.wait_connected(5)
        yield session
