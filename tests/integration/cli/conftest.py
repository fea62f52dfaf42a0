"""A real `studio serve` process per test module, its output kept in a file the tests read."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.net import free_port, wait_until_healthy


@dataclass(frozen=True)
class ServedStudio:
    port: int
    url: str
    log: Path  # stdout and stderr together


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedStudio]:
    folder = tmp_path_factory.mktemp("studio")
    port, comfy_port = free_port(), free_port()  # nothing listens on comfy_port: no ComfyUI needed
    served = ServedStudio(port, f"http://127.0.0.1:{port}", folder / "studio.log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    command = ["serve", "--port", str(port), "--data-dir", str(folder / "data"), "--comfy-url", f"http://127.0.0.1:{comfy_port}"]
    with served.log.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "server.cli", *command], cwd=REPO, env=env, stdout=log, stderr=log)
    if not wait_until_healthy(served.url):
        process.kill()
        pytest.fail(f"studio serve did not answer: {served.log.read_text()}")
    yield served
    process.terminate()
    process.wait(timeout=10)
