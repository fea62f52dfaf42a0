"""Several ComfyUI instances: one lane each, jobs spread over them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.comfyui_double.double import ComfyDouble
from tests.comfyui_double.settings import DoubleSettings
from tests.common.stacks import running_stack
from tests.integration.worker.stack import Stack


@pytest.fixture
def second_double(double_settings: DoubleSettings, tmp_path: Path) -> Iterator[ComfyDouble]:
    comfy = ComfyDouble(DoubleSettings(models=double_settings.models, step_seconds=0.02), data_dir=tmp_path / "comfyui-2").start()
    yield comfy
    comfy.stop()


@pytest.fixture(params=["single", "scaled"])
def two_lanes(request, tmp_path: Path, double: ComfyDouble, second_double: ComfyDouble, workflows_dir: Path) -> Iterator[Stack]:
    with running_stack(request, request.param, tmp_path, f"{double.url},{second_double.url}") as studio:
        yield studio


def test_jobs_spread_over_every_comfyui(two_lanes: Stack, double: ComfyDouble, second_double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.02
    jobs = [two_lanes.submit(steps=50, seed=i) for i in range(4)]
    done = [two_lanes.wait(job["id"]) for job in jobs]
    assert all(job["status"] == "finished" for job in done)
    lanes = {job["lane"] for job in done}
    assert lanes == {f"gpu-host-1 {double.url}", f"gpu-host-1 {second_double.url}"}
    assert len(double.received_prompts) == 2 and len(second_double.received_prompts) == 2
