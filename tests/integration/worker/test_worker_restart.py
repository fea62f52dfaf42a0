"""A worker restarted while jobs wait in the queue takes them at once (scaled out, on Redis)."""

from __future__ import annotations

import time

import pytest

from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import PRODUCTION_TIMINGS, Stack
from tests.integration.worker.test_cancel import SLOW, slow, wait_until

JOBS = 50


@pytest.mark.studio_env(PRODUCTION_TIMINGS)
def test_restarted_worker_claims_every_queued_job_within_seconds(scaled_stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    jobs = [scaled_stack.submit(**SLOW, seed=i)["id"] for i in range(JOBS)]
    wait_until(lambda: sum(scaled_stack.job(j)["status"] == "processing" for j in jobs) == 2)  # both slots busy
    scaled_stack.kill_worker()  # kill -9: no goodbye to Redis or the database
    double.settings.step_seconds = 0.0005  # the rest is quick, so claiming is what the test times
    double.settings.node_seconds = 0.001
    scaled_stack.restart_worker()
    took = scaled_stack.wait_claimed(jobs, since=time.monotonic())
    assert took < 40, f"the last job was claimed {took:.0f} s after the restart"
    for job_id in jobs:
        done = scaled_stack.wait(job_id, timeout=30)
        assert done["status"] == "finished", done["error"]
