"""GET /api/workflows against the ComfyUI double: each workflow marked runnable or not (and why),
the samplers and schedulers of `"choices": "comfy"` as ComfyUI lists them; jobs refused with a
sampler ComfyUI lacks. While ComfyUI is unreachable nothing is marked and nothing checked."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.config import Settings
from tests.comfyui_double.catalog import recorded_object_info
from tests.comfyui_double.double import ComfyDouble
from tests.comfyui_double.settings import DoubleSettings
from tests.common.paths import REPO
from tests.integration.workflows.planted import MISSING_CLASS, plant_missing_class

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SAMPLERS = recorded_object_info()["KSampler"]["input"]["required"]["sampler_name"][0]


@pytest.fixture
def comfy_double_settings() -> DoubleSettings:
    return DoubleSettings(models={"checkpoints": ["sd_xl_base_1.0.safetensors"]})


@pytest.fixture
def workflows_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", folder)
    plant_missing_class(folder)
    return folder


def app_client(settings: Settings, workflows_dir: Path, comfy_urls: list[str]) -> TestClient:
    changed = msgspec.structs.replace(settings, workflows_dir=str(workflows_dir), comfy_urls=comfy_urls)
    return TestClient(create_app(changed))


@pytest.fixture
def client(settings: Settings, workflows_dir: Path, comfy_double: ComfyDouble) -> Iterator[TestClient]:
    with app_client(settings, workflows_dir, [comfy_double.url]) as test_client:
        yield test_client


def listed(client: TestClient) -> dict[str, dict]:
    response = client.get("/api/workflows")
    assert response.status_code == 200, response.text
    return {workflow["name"]: workflow for workflow in response.json()}


def test_a_workflow_whose_node_class_the_comfyui_lacks_is_marked_with_the_reason(client: TestClient) -> None:
    workflows = listed(client)
    missing = workflows["missing_class"]
    assert missing["runnable"] is False
    assert missing["problems"] == [f"graph.9: node class '{MISSING_CLASS}' is not on this ComfyUI (a custom node not installed there?)"]
    assert client.get("/api/workflows/missing_class").json()["problems"] == missing["problems"]
    # The built-ins run on it: a model file it lacks is no mark (a job may name another model).
    for name in ("text_to_image", "text_to_image_unet", "image_edit", "image_compose", "upscale"):
        assert (workflows[name]["runnable"], workflows[name]["problems"]) == (True, []), name


def test_comfy_choices_are_comfyuis_list_and_jobs_are_checked_against_it(client: TestClient) -> None:
    params = {p["name"]: p for p in listed(client)["text_to_image"]["params"]}
    assert params["sampler"]["choices"] == SAMPLERS and params["sampler"]["default"] == "euler"
    assert "linear_quadratic" in params["scheduler"]["choices"]

    refused = client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a fox", "sampler": "warp_drive"}})
    assert refused.status_code == 400, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "params.sampler"
    assert error["message"].startswith("'warp_drive' is not one of ComfyUI's: euler, euler_cfg_pp, ")
    # A sampler the old hand-written list lacked: ComfyUI has it, so a job may use it.
    accepted = client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a fox", "sampler": "euler_cfg_pp"}})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["sampler"] == "euler_cfg_pp"


def test_while_comfyui_is_unreachable_nothing_is_marked_nor_checked(settings: Settings, workflows_dir: Path) -> None:
    with app_client(settings, workflows_dir, settings.comfy_urls) as client:
        workflows = listed(client)
        assert {(w["runnable"], tuple(w["problems"])) for w in workflows.values()} == {(None, ())}
        params = {p["name"]: p for p in workflows["text_to_image"]["params"]}
        assert params["sampler"]["choices"] == ["euler"], "the default alone until ComfyUI answers"
        accepted = client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a fox", "sampler": "warp_drive"}})
        assert accepted.status_code == 202, accepted.text
        wrong_type = client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a fox", "sampler": ["euler"]}})
        assert wrong_type.status_code == 400
