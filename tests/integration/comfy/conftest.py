from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.comfy import ComfyClient, ComfySession
from tests.comfyui_double import ComfyDouble, DoubleSettings
from tests.comfyui_double.fixtures import comfy_double, comfy_double_process  # noqa: F401

WORKFLOWS = Path(__file__).resolve().parents[2] / "data" / "comfyui" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((WORKFLOWS / f"{name}.json").read_text()))


@pytest.fixture
def comfy_double_settings() -> DoubleSettings:
    # Fast nodes: these tests check what the client derives, not timings.
    return DoubleSettings(node_seconds=0.002, step_seconds=0.002)


@pytest.fixture
async def client(comfy_double: ComfyDouble) -> AsyncIterator[ComfyClient]:  # noqa: F811
    async with ComfyClient(comfy_double.url) as client:
        yield client


@pytest.fixture
async def session(client: ComfyClient) -> AsyncIterator[ComfySession]:
    async with ComfySession(client, backoff_initial=0.02, backoff_max=0.2) as session:
        await session.wait_connected(5)
        yield session
