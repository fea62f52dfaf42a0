"""`studio worker` logs as `studio serve` does: one set-up for both, so one log pipeline reads both."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.common.paths import REPO
from tests.common.services import require_service
from tests.integration.worker.stack import StudioProcess
from tests.net import PrivateRedis, unused_url
from tests.served import serve_studio

UNREACHABLE = "is unreachable"
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}")


def first_line_with(log: Path, text: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # The lane's line: the start-up check of the workflows says so too, at INFO.
        if found := [line for line in log.read_text().splitlines() if text in line and "server.comfy.session" in line]:
            return TIME.sub("<time>", found[0])
        time.sleep(0.1)
    pytest.fail(f"no line with {text!r}:\n{log.read_text()[-3000:]}")


def test_the_worker_logs_its_lines_as_serve_does(tmp_path: Path) -> None:
    if not PrivateRedis.available():
        require_service("Redis", "redis-server is not installed")
    redis = PrivateRedis().start()
    (tmp_path / "serve").mkdir()
    # One ComfyUI that does not answer for both: each process's lane warns about it, in one line.
    with unused_url() as comfy_url:
        with serve_studio(tmp_path / "serve", {"STUDIO_COMFY_URL": comfy_url}) as served:
            served_line = first_line_with(served.log, UNREACHABLE)
        env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
        env.update({"STUDIO_DATA_DIR": str(tmp_path / "worker"), "STUDIO_REDIS_URL": redis.url, "STUDIO_COMFY_URL": comfy_url})
        subprocess.run([sys.executable, "-m", "studio", "migrate"], cwd=REPO, env=env, capture_output=True, check=True, timeout=60)
        worker = StudioProcess(["worker"], env, tmp_path / "worker.log").start()
        try:
            worker_line = first_line_with(worker.log, UNREACHABLE)
        finally:
            worker.stop()
            redis.kill()
    assert served_line.startswith("WARNING - <time> - server.comfy.session - "), served_line
    assert worker_line == served_line
