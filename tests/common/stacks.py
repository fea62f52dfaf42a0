"""What the worker-stack tests run: the double's model files, two extra workflows, and Studio
started in a mode for the length of a block (`running_stack`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.common.services import truncate
from tests.integration.worker.stack import Stack

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


@contextlib.contextmanager
def running_stack(
    request: pytest.FixtureRequest, mode: str, tmp_path: Path, comfy_urls: str, redis_url: str | None = None
) -> Iterator[Stack]:
    """Studio in `mode` for the block; stopped after it, also when it failed to start.
    Scaled, on `redis_url` or else the session's Redis, emptied first."""
    if mode == "scaled":
        database_url = request.getfixturevalue("postgres_url")
        asyncio.run(truncate(database_url))
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
