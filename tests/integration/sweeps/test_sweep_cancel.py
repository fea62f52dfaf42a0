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

    def start_then_cancel() -> dict:
        made = create(stack, {"steps": [1, 100, 99]})
        first, running = (cell["job_id"] for cell in made["cells"][:2])
        stack.wait(first, {"finished"})
        stack.wait(running, {"processing"})
        response = stack.http.post(f"/api/sweeps/{made['id']}/cancel")
        assert response.status_code == 200, response.text
        assert response.json()["cells"][0]["status"] == "finished"
        return made

    started = time.monotonic()
    made, events = asyncio.run(follow(stack, start_then_cancel))
    assert time.monotonic() - started < 15, "the running cell was stopped, not run to its end (20 s)"
    sweep = stack.http.get(f"/api/sweeps/{made['id']}").json()
    assert [cell["status"] for cell in sweep["cells"]] == ["finished", "cancelled", "cancelled"]
    assert (sweep["state"], events[-1].state, events[-1].counts) == ("cancelled", "cancelled", {"finished": 1, "cancelled": 2})
    assert sweep["contact_sheet_url"]
    again = stack.http.post(f"/api/sweeps/{made['id']}/cancel")
    assert again.status_code == 409 and again.json()["detail"] == f"Sweep {made['id']} has ended; there is nothing to cancel."
