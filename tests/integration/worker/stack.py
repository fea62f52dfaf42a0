"""Studio as users run it, as real processes, in front of the ComfyUI double.

- single: one `studio serve` (embedded worker, in-memory broker, SQLite);
- scaled: `studio serve --no-worker` + `studio worker` on Redis and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.comfyui_double.double import ComfyDouble
from tests.common.paths import REPO
from tests.net import free_port, wait_until_healthy

TERMINAL = {"finished", "failed", "cancelled"}
# Short waits so recovery paths run in seconds, not minutes.
FAST = {
    "STUDIO_LEASE_SECONDS": "1",
    "STUDIO_COMFY_RETRY_DELAY": "0.2",
    "STUDIO_COMFY_RETRIES": "50",
    "STUDIO_RECOVERY_INTERVAL": "0.3",
    "STUDIO_RESEND_AFTER": "2",
}
# Every one of those at its production default, for the tests that guard against a job stalling
# until some timer runs out: a short test timing would hide the stall (marker value None = unset).
PRODUCTION_TIMINGS: dict[str, str | None] = {name: None for name in FAST}


class StudioProcess:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> StudioProcess:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "studio", *self.args], cwd=REPO, env=self.env, stdout=handle, stderr=subprocess.STDOUT
        )
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class Stack:
    def __init__(
        self, mode: str, tmp_path: Path, comfy_url: str, database_url: str, redis_url: str | None, extra_env: dict[str, str | None]
    ) -> None:
        self.mode = mode
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(base_url=self.url, timeout=10)
        self.data_dir = tmp_path / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
        env.update(FAST)
        env.update(
            {
                "STUDIO_PORT": str(self.port),
                "STUDIO_DATA_DIR": str(self.data_dir),
                "STUDIO_COMFY_URL": comfy_url,
                "STUDIO_DATABASE_URL": database_url,
                "STUDIO_WORKFLOWS_DIR": str(tmp_path / "workflows"),
                "STUDIO_WORKER_NAME": "gpu-host-1",
            }
        )
        if mode == "scaled" and redis_url:
            env["STUDIO_REDIS_URL"] = redis_url
        for name, value in extra_env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        self.env = env
        log = tmp_path / f"studio-{mode}.log"
        self.log = log
        self.api = StudioProcess(["serve", "--no-worker"] if mode == "scaled" else ["serve"], env, log)
        self.worker = StudioProcess(["worker"], env, log) if mode == "scaled" else None
        self.other_workers: list[StudioProcess] = []

    def start(self) -> Stack:
        self.api.start()
        self.wait_healthy()
        if self.worker:
            self.worker.start()
        return self

    def wait_healthy(self, timeout: float = 30) -> None:
        if not wait_until_healthy(self.url, timeout):
            raise AssertionError(f"Studio did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        for process in (*self.other_workers, self.worker, self.api):
            if process:
                process.stop()
        self.http.close()

    # --- the runner of jobs (the embedded worker in single mode) -------------------------

    def kill_worker(self) -> None:
        (self.worker or self.api).kill()

    def restart_worker(self) -> None:
        if self.worker:
            self.worker.start()
        else:
            self.api.start()
            self.wait_healthy()

    def start_another_worker(self, name: str, comfy_url: str | None = None) -> StudioProcess:
        """A `studio worker` of another host (scaled mode), on the same or another ComfyUI."""
        env = {**self.env, "STUDIO_WORKER_NAME": name, "STUDIO_COMFY_URL": comfy_url or self.env["STUDIO_COMFY_URL"]}
        worker = StudioProcess(["worker"], env, self.log).start()
        self.other_workers.append(worker)
        return worker

    # --- API helpers ---------------------------------------------------------------------

    def submit(self, workflow: str = "text_to_image", **params: Any) -> dict:
        response = self.http.post("/api/jobs", json={"workflow": workflow, "params": {"prompt": "a red fox", **params}})
        assert response.status_code == 202, response.text
        return response.json()

    def job(self, job_id: str) -> dict:
        return self.http.get(f"/api/jobs/{job_id}").json()

    def wait(self, job_id: str, statuses: set[str] = TERMINAL, timeout: float = 30, progress_at_least: int = 0) -> dict:
        deadline = time.monotonic() + timeout
        job: dict = {}
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if job["status"] in statuses and job["progress"] >= progress_at_least:
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} stayed {job.get('status')} ({job.get('progress')}%):\n{self.log.read_text()[-4000:]}")

    def wait_claimed(self, job_ids: list[str], since: float, timeout: float = 60) -> float:
        """Until none of the jobs is queued any more; returns the seconds since `since` (a
        time.monotonic()) that took."""
        waiting = set(job_ids)
        while waiting and time.monotonic() - since < timeout:
            waiting = {j for j in waiting if self.job(j)["status"] == "queued"}
            time.sleep(0.2)
        took = time.monotonic() - since
        assert not waiting, f"{len(waiting)} jobs still queued after {took:.0f} s:\n{self.log.read_text()[-3000:]}"
        return took


def runs_of(double: ComfyDouble, job_id: str) -> int:
    """How many times the job's prompt reached ComfyUI."""
    return [p.prompt_id for p in double.received_prompts].count(job_id)


def new_id() -> str:
    return uuid.uuid4().hex
