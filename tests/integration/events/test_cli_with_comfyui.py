"""`studio submit ... --wait` against Studio running jobs on the ComfyUI double, in both modes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.comfyui_double.double import ComfyDouble
from tests.common.paths import REPO
from tests.integration.worker.stack import Stack


def studio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "studio", *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def test_submit_wait_shows_the_bar_moving_and_ends_with_the_outputs(stack: Stack, double: ComfyDouble) -> None:  # noqa: F811
    double.settings.step_seconds = 0.05  # 30 steps: a run long enough to see progress
    result = studio("submit", "text_to_image", "prompt=a red fox", "steps=30", "--wait", "--url", stack.url)
    assert result.returncode == 0, result.stderr
    job_id, *urls = result.stdout.splitlines()
    assert urls and all(url.startswith(f"{stack.url}/outputs/{job_id}/") for url in urls)
    assert httpx.get(urls[0]).headers["content-type"] == "image/png"
    percents = [int(m) for m in re.findall(r"^processing (\d+)%", result.stderr, re.MULTILINE)]
    assert len(set(percents)) >= 3 and percents == sorted(percents), result.stderr
    assert "KSampler" in result.stderr and result.stderr.splitlines()[-1] == "finished 100%"


def test_submit_save_downloads_the_images_here_and_prints_their_paths(single_stack: Stack, tmp_path: Path) -> None:  # noqa: F811
    saves = tmp_path / "saves"
    saves.mkdir()
    (saves / "taken.png").write_bytes(b"mine")
    result = studio("submit", "text_to_image", "prompt=a red fox", "batch_size=2", "--save", str(saves), "--url", single_stack.url)
    assert result.returncode == 0, result.stderr
    job_id, *paths = result.stdout.splitlines()
    job = single_stack.job(job_id)
    assert [Path(p).name for p in paths] == [output["filename"] for output in job["outputs"]]
    for path, output in zip(paths, job["outputs"]):
        assert Path(path).parent == saves and Path(path).read_bytes() == single_stack.http.get(output["url"]).content
    # The same job saved again: new names, the first copies kept.
    again = studio("watch", job_id, "--save", str(saves), "--url", single_stack.url)
    assert again.returncode == 0 and not set(again.stdout.splitlines()) & set(paths)
    assert (saves / "taken.png").read_bytes() == b"mine"

    missing = studio("submit", "text_to_image", "prompt=a red fox", "--save", str(tmp_path / "nowhere"), "--url", single_stack.url)
    assert missing.returncode == 2 and "nowhere: no such folder" in missing.stderr and not missing.stdout


def test_wait_prints_text_outputs(single_stack: Stack) -> None:  # noqa: F811
    result = studio("submit", "extract", "prompt=job 42 of 97", "--wait", "--url", single_stack.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == ["42", "97"]
