"""`studio submit --preset NAME`, a real subprocess against a running Studio: the preset's workflow,
parameters and style, with the KEY=VALUE given on top."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.common.paths import REPO
from tests.served import ServedStudio


@pytest.fixture(scope="module")
def api(studio: ServedStudio) -> Iterator[httpx.Client]:
    """The module's Studio (conftest.py), with the preset "slow fox"."""
    with httpx.Client(base_url=studio.url, timeout=30) as http:
        body = {"name": "slow fox", "workflow": "text_to_image", "params": {"prompt": "a fox", "steps": 40, "cfg": 4.5}, "style": "anime"}
        assert http.post("/api/presets", json=body).status_code == 201
        yield http


def submit(api: httpx.Client, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STUDIO_API_KEY"}
    command = [sys.executable, "-m", "studio", "submit", "--url", str(api.base_url), *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def job(api: httpx.Client, done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr
    return api.get(f"/api/jobs/{done.stdout.strip()}").json()


def test_a_preset_gives_the_workflow_parameters_and_style_and_the_command_line_overrides(api: httpx.Client) -> None:
    made = job(api, submit(api, "--preset", "slow fox", "prompt=a wolf", "steps=12"))
    assert made["workflow"] == "text_to_image" and made["style"] == "anime"
    assert made["params"] == {"prompt": "a wolf", "steps": 12, "cfg": 4.5}

    # Naming the workflow too is allowed when it is the preset's.
    assert job(api, submit(api, "text_to_image", "--preset", "slow fox"))["params"]["steps"] == 40


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--preset", "none such"), "studio: You have no preset named 'none such'; GET /api/presets lists yours."),
        (("image_edit", "--preset", "slow fox"), "studio: The preset 'slow fox' is for the workflow 'text_to_image', not 'image_edit'."),
        (("prompt=a fox",), "studio: Name a workflow"),
    ],
)
def test_mistakes_are_one_sentence_and_exit_2(api: httpx.Client, args: tuple[str, ...], says: str) -> None:
    done = submit(api, *args)
    assert done.returncode == 2 and done.stderr.startswith(says), done.stderr
    assert done.stdout == ""
