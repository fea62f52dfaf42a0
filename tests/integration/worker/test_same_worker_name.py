"""Two Studio processes with one worker name on one ComfyUI: each has a socket of its own.

ComfyUI feeds only the latest socket of a client_id (ComfyUI#16010): with a client_id made of
the worker name, the second process silenced the first, whose jobs then waited for the 10 s
silence check, with no progress at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.comfyui_double.double import ComfyDouble
from tests.common.stacks import running_stack
from tests.integration.worker.stack import PRODUCTION_TIMINGS, Stack


@pytest.fixture
def two_studios(request: pytest.FixtureRequest, tmp_path: Path, double: ComfyDouble, workflows_dir: Path) -> Iterator[tuple[Stack, Stack]]:
    """Two `studio serve` on one host (the worker name defaults to the host name), each with its
    own database: nothing but ComfyUI is shared."""
    second = tmp_path / "second"
    second.mkdir()
    (second / "workflows").symlink_to(workflows_dir)
    with running_stack(request, "single", tmp_path, double.url) as first, running_stack(request, "single", second, double.url) as other:
        yield first, other


def run_and_listen(stack: Stack, **params: Any) -> tuple[float, set[int], dict]:
    """Submit a job and read its socket to the end: seconds it took, the sampler steps its
    progress events named, the last message."""
    started = time.monotonic()
    job = stack.submit(**params)
    steps: set[int] = set()
    with connect(f"ws://127.0.0.1:{stack.port}/ws/jobs/{job['id']}", open_timeout=10) as socket:
        for raw in socket:  # closed after the terminal event
            message = json.loads(raw)
            if message["type"] == "job.progress" and message.get("step"):
                steps.add(message["step"])
    return time.monotonic() - started, steps, message


@pytest.mark.studio_env(PRODUCTION_TIMINGS)
def test_two_processes_with_one_worker_name_both_follow_their_jobs(two_studios: tuple[Stack, Stack], double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.03  # 60 steps: about 2 s of sampling
    for studio in two_studios:
        took, steps, last = run_and_listen(studio, steps=60)
        assert last["type"] == "job.finished" and len(last["job"]["outputs"]) == 1, last
        assert len(steps) >= 5, f"progress named only the steps {sorted(steps)}"
        assert took < 7, f"the job took {took:.1f} s"
    assert len({p.body["client_id"] for p in double.received_prompts}) == 2
