"""`studio serve` as a user runs it: a real process, real HTTP, SQLite under the data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.common.paths import REPO
from tests.net import free_port, wait_until_healthy


@pytest.fixture
def served(tmp_path: Path, comfy_url: str) -> Iterator[tuple[str, Path]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "studio", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--comfy-url", comfy_url],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    if not wait_until_healthy(url):
        process.kill()
        pytest.fail(f"studio serve did not answer: {process.stdout.read().decode()}")
    yield url, tmp_path / "data"
    process.terminate()
    process.wait(timeout=10)


def test_submit_list_and_health_against_a_served_studio(served: tuple[str, Path]) -> None:
    url, data = served
    response = httpx.post(f"{url}/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a red fox"}})
    assert response.status_code == 202
    job = response.json()
    assert job["id"] and isinstance(job["seed"], int) and job["seed"] >= 0
    listed = httpx.get(f"{url}/api/jobs").json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]
    assert httpx.get(f"{url}/health").json()["status"] == "ok"
    assert (data / "studio.sqlite").is_file()


def test_migrate_command_is_idempotent(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "studio", "migrate", "--data-dir", str(tmp_path)]
    first = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    second = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "No migrations need to be run" in second.stdout
