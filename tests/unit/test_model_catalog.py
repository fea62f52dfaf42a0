"""ModelCatalog: the model lists from the first ComfyUI that answers, one error when none does."""

from __future__ import annotations

import pytest

from server.comfy import ComfyError, ComfyUnavailable
from server.models.catalog import ModelCatalog
from tests.net import unused_url
from tests.unit.comfy.recorded_http import Reply, recorded_http

pytestmark = pytest.mark.timeout(10)


async def test_the_first_comfyui_that_answers_gives_the_list() -> None:
    routes = {("GET", "/models/checkpoints"): Reply.json(["sd_xl_base_1.0.safetensors"])}
    with unused_url() as down:
        async with recorded_http(routes) as up:
            catalog = ModelCatalog([down, up.base_url])
            try:
                assert await catalog.files("checkpoints") == ["sd_xl_base_1.0.safetensors"]
            finally:
                await catalog.close()


async def test_no_comfyui_answering_is_the_clients_own_unavailable_error_naming_each_url() -> None:
    routes = {("GET", "/models/checkpoints"): Reply(500, b"down", "text/plain")}
    with unused_url() as down:
        async with recorded_http(routes) as failing:
            catalog = ModelCatalog([down, failing.base_url])
            try:
                with pytest.raises(ComfyError) as caught:
                    await catalog.files("checkpoints")
            finally:
                await catalog.close()
    # One exception for "ComfyUI does not answer", whoever asked: what the API and the runner catch.
    assert type(caught.value) is ComfyUnavailable
    assert str(caught.value).startswith("ComfyUI is unreachable: ")
    assert down in str(caught.value) and failing.base_url in str(caught.value)
