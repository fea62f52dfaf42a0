"""`studio submit ... --wait` against Studio running jobs on the ComfyUI double, in both modes."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx

from tests.comfyui_double.double import ComfyDouble
from tests.conftest import REPO
from tests.integration.worker.conftest import double, double_settings, stack, workflows_dir  # noqa: F401 - fixtures
from tests.integration.worker.stack import Stack


def test_submit_wait_shows_the_bar_moving_and_ends_with_the_outputs(stack: Stack, double: ComfyDouble) -> None:  # noqa: F811
    double.settings.step_seconds = 0.05  # 30 steps: a run long enough to see progress
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "submit", "text_to_image", "prompt=a red fox", "steps=30", "--wait", "--url", stack.url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    job_id, *urls = result.stdout.splitlines()
    assert urls and all(url.startswith(f"{stack.url}/outputs/{job_id}/") for url in urls)
    assert httpx.get(urls[0]).headers["content-type"] == "image/png"
    percents = [int(m) for m in re.findall(r"^processing (\d+)%", result.stderr, re.MULTILINE)]
    assert len(set(percents)) >= 3 and percents == sorted(percents), result.stderr
    assert "KSampler" in result.stderr and result.stderr.splitlines()[-1] == "finished 100%"
