"""Cancelling a sweep cancels its unfinished cells only, and the sweep still ends with its sheet."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.comfyui_double.settings import DoubleSettings
from tests.common.stacks import MODELS
from tests.integration.sweeps.test_sweeps import create, follow
from tests.integration.worker.stack import Stack


@pytest.fixture
def double_settings() -> DoubleSettings:
    """A sampler step takes a tenth of a second: a 1-step cell ends at once, a 100-step one runs for 10 s."""
    return DoubleSettings(models=MODELS, node_seconds=0.02, step_seconds=0.1)


def test_cancelling_a_sweep_cancels_its_unfinished_cells_only(single_stack: Stack) -> None:
    stack = single_stack
    at_cancel: list[str] = []

    def start_then_cancel() -> dict:
        made = create(stack, {"steps": [1, 100, 99]})
        # A lane holds two prompts, so which cell ComfyUI runs first is not fixed: wait for the
        # 1-step cell, then cancel while a long one runs.
        stack.wait(made["cells"][0]["job_id"], {"finished"})
        unfinished = [cell["job_id"] for cell in made["cells"] if stack.job(cell["job_id"])["status"] != "finished"]
        running_in_comfyui(stack, unfinished)
        response = stack.http.post(f"/api/sweeps/{made['id']}/cancel")
        assert response.status_code == 200, response.text
        at_cancel.extend(cell["status"] for cell in response.json()["cells"])
        return made

    made, events = asyncio.run(follow(stack, start_then_cancel))
    sweep = stack.http.get(f"/api/sweeps/{made['id']}").json()
    expected = ["finished" if status == "finished" else "cancelled" for status in at_cancel]
    assert [cell["status"] for cell in sweep["cells"]] == expected and expected.count("cancelled") >= 1
    assert "processing" in at_cancel, "a running cell was stopped (it would have ended finished)"
    counts = {status: expected.count(status) for status in set(expected)}
    assert (sweep["state"], events[-1].state, events[-1].counts) == ("cancelled", "cancelled", counts)
    assert sweep["contact_sheet_url"]
    again = stack.http.post(f"/api/sweeps/{made['id']}/cancel")
    assert again.status_code == 409 and again.json()["detail"] == f"Sweep {made['id']} has ended; there is nothing to cancel."


def running_in_comfyui(stack: Stack, job_ids: list[str], timeout: float = 30) -> None:
    """Until one of the jobs runs in ComfyUI (past the 30% of being submitted to it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any((job := stack.job(job_id))["status"] == "processing" and job["progress"] > 30 for job_id in job_ids):
            return
        time.sleep(0.05)
    raise AssertionError(f"none of {job_ids} ran in ComfyUI within {timeout} s")
