"""Logs an operator reads: one JSON object a line, a rotated file, the level they ask for, and
every line the worker logs about a job tagged with its id."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.comfyui_double.double import ComfyDouble
from tests.common.paths import REPO
from tests.integration.worker.stack import Stack
from tests.integration.worker.test_cancel import wait_until
from tests.net import free_port
from tests.served import serve_studio


def json_lines(log: Path) -> list[dict]:
    """The log's JSON lines (the start-up banner and Piccolo's output are printed, not logged)."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


@pytest.mark.studio_env({"STUDIO_LOG_FORMAT": "json"})
def test_a_jobs_life_is_in_json_lines_that_carry_its_id(stack: Stack, double: ComfyDouble) -> None:
    job_id = stack.submit()["id"]
    assert stack.wait(job_id)["status"] == "finished"
    wait_until(lambda: any("finished" in line["message"] for line in json_lines(stack.log) if line.get("job_id") == job_id))
    lines = json_lines(stack.log)
    assert lines and all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    about_job = [line for line in lines if line.get("job_id") == job_id]
    told = " | ".join(line["message"] for line in about_job)
    for step in ("accepted job", "claimed job", "submitted to ComfyUI", "finished"):
        assert any(step in line["message"] for line in about_job), f"no {step!r} line for the job: {told}"
    # The API's line (accepted) has no worker; the worker's lines name it.
    assert all(line["worker"].startswith("gpu-host-1/") for line in about_job if line["logger"].startswith("server.worker"))
    assert all(job_id in line["message"] for line in about_job), "grepping the id finds every line about the job"


def test_the_log_file_rotates_at_its_size_and_holds_the_lines(tmp_path: Path) -> None:
    log_file = tmp_path / "studio-file.log"
    env = {"STUDIO_LOG_FILE": str(log_file), "STUDIO_LOG_FILE_MAX_BYTES": "4000"}
    with serve_studio(tmp_path, env) as served:
        for n in range(60):
            httpx.get(f"{served.url}/api/jobs/not-a-job-{n}")
        wait_until(lambda: "/api/jobs/not-a-job-59" in log_file.read_text())
    rotated = sorted(tmp_path.glob("studio-file.log.*"))
    assert rotated, "the file was never rotated"
    assert len(rotated) <= 5, "at most five old files are kept"
    for path in [log_file, *rotated]:
        assert path.stat().st_size <= 4000 + 500  # a rotation happens before the line that would pass the size
    everything = "".join(path.read_text() for path in [log_file, *rotated])
    assert "GET /api/jobs/not-a-job-59" in everything


def test_log_level_warning_drops_info_lines(tmp_path: Path) -> None:
    with serve_studio(tmp_path, {"STUDIO_LOG_LEVEL": "WARNING"}) as served:
        httpx.get(f"{served.url}/api/jobs/not-a-job")  # a 404: an INFO line at the default level
        # ComfyUI is absent (serve_studio): that is a warning, which still shows.
        wait_until(lambda: "WARNING" in served.log.read_text())
    log = served.log.read_text()
    assert "INFO" not in log and "not-a-job" not in log, log[-2000:]


def test_a_bad_log_setting_is_one_sentence(tmp_path: Path) -> None:
    cases = {
        "STUDIO_LOG_FORMAT": ("xml", "Invalid setting STUDIO_LOG_FORMAT: 'xml' is not valid"),
        "STUDIO_LOG_FILE": (str(tmp_path / "missing" / "studio.log"), "cannot be written (No such file or directory)"),
    }
    for name, (value, sentence) in cases.items():
        env = {"PATH": "/usr/bin:/bin", "STUDIO_DATA_DIR": str(tmp_path / "data"), "STUDIO_PORT": str(free_port()), name: value}
        done = subprocess.run([sys.executable, "-m", "studio", "serve"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert sentence in done.stderr and "Traceback" not in done.stderr, done.stderr
