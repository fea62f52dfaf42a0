from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.comfyui_double.double import ComfyDouble
from tests.comfyui_double.settings import DoubleSettings
from tests.conftest import REPO, _truncate, require_service
from tests.integration.worker.stack import Stack
from tests.net import PrivateRedis

MODELS = {
    "checkpoints": ["sd_xl_base_1.0.safetensors", "other.safetensors"],
    "diffusion_models": ["z_image_turbo_bf16.safetensors"],
    "text_encoders": ["qwen_3_4b.safetensors"],
    "vae": ["ae.safetensors"],
    "upscale_models": ["4x-UltraSharp.pth"],
}
# A workflow ComfyUI refuses: its graph names a node class ComfyUI does not have.
BROKEN = {
    "graph": {
        "1": {"class_type": "NoSuchNode", "inputs": {"text": ""}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "broken"}},
    },
    "manifest": {"title": "Broken", "params": {"prompt": {"type": "text", "required": True, "bind": ["1.text"]}}},
}

# A workflow whose only output is text (the recorded PreviewAny chain of capture 15).
EXTRACT = {
    "graph": {
        "1": {"class_type": "PrimitiveString", "inputs": {"value": ""}},
        "2": {
            "class_type": "RegexExtract",
            "inputs": {
                "string": ["1", 0], "regex_pattern": "\\d+", "mode": "All Matches",
                "case_insensitive": True, "multiline": False, "dotall": False, "group_index": 1,
            },
        },
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    },
    "manifest": {"title": "Numbers in the prompt", "params": {"prompt": {"type": "text", "required": True, "bind": ["1.value"]}}},
}


@pytest.fixture
def double_settings() -> DoubleSettings:
    return DoubleSettings(models=MODELS, node_seconds=0.02, step_seconds=0.01)


@pytest.fixture
def double(double_settings: DoubleSettings, tmp_path: Path) -> Iterator[ComfyDouble]:
    comfy = ComfyDouble(double_settings, data_dir=tmp_path / "comfyui").start()
    yield comfy
    comfy.stop()


@pytest.fixture
def workflows_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", folder)
    for name, workflow in {"broken": BROKEN, "extract": EXTRACT}.items():
        (folder / name).mkdir()
        (folder / name / "workflow.json").write_text(json.dumps(workflow["graph"]))
        (folder / name / "manifest.json").write_text(json.dumps(workflow["manifest"]))
    return folder


def _private_redis() -> PrivateRedis:
    if not PrivateRedis.available():
        require_service("Redis", "redis-server is not installed")
    return PrivateRedis().start()


@pytest.fixture(scope="session")
def session_redis() -> Iterator[PrivateRedis]:
    """The scaled stacks' Redis, this test session's own: on a shared one, the workers of two
    test sessions run side by side would take (and drop) each other's job messages."""
    server = _private_redis()
    yield server
    server.kill()


@contextlib.contextmanager
def running_stack(
    request: pytest.FixtureRequest, mode: str, tmp_path: Path, comfy_urls: str, redis_url: str | None = None
) -> Iterator[Stack]:
    """Studio in `mode` for the block; stopped after it, also when it failed to start.
    Scaled, on `redis_url` or else the session's Redis, emptied first."""
    if mode == "scaled":
        database_url = request.getfixturevalue("postgres_url")
        asyncio.run(_truncate(database_url))
        if redis_url is None:
            redis_url = request.getfixturevalue("session_redis").url
            redis.Redis.from_url(redis_url).flushdb()
    else:
        database_url = f"sqlite:///{tmp_path / 'data' / 'studio.sqlite'}"
    marker = request.node.get_closest_marker("studio_env")
    studio = Stack(mode, tmp_path, comfy_urls, database_url, redis_url, marker.args[0] if marker else {})
    try:
        yield studio.start()
    finally:
        studio.stop()


@pytest.fixture(params=["single", "scaled"])
def stack(request: pytest.FixtureRequest, tmp_path: Path, double: ComfyDouble, workflows_dir: Path) -> Iterator[Stack]:
    """Studio in front of the double: single process on SQLite, or API + worker on Redis and PostgreSQL."""
    with running_stack(request, request.param, tmp_path, double.url) as studio:
        yield studio


@pytest.fixture
def single_stack(request: pytest.FixtureRequest, tmp_path: Path, double: ComfyDouble, workflows_dir: Path) -> Iterator[Stack]:
    """Single-process mode only, for runner behaviour that does not depend on the mode."""
    with running_stack(request, "single", tmp_path, double.url) as studio:
        yield studio


@pytest.fixture
def scaled_stack(request: pytest.FixtureRequest, tmp_path: Path, double: ComfyDouble, workflows_dir: Path) -> Iterator[Stack]:
    """Scaled-out mode only, for behaviour that needs several worker processes."""
    with running_stack(request, "scaled", tmp_path, double.url) as studio:
        yield studio


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis this test may kill and restart."""
    server = _private_redis()
    yield server
    server.kill()
