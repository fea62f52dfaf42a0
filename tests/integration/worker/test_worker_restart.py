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
    restarted = time.monotonic()
    waiting = set(jobs)
    while waiting and time.monotonic() - restarted < 60:
        waiting = {j for j in waiting if scaled_stack.job(j)["status"] == "queued"}
        time.sleep(0.2)
    took = time.monotonic() - restarted
    assert not waiting, f"{len(waiting)} jobs still queued {took:.0f} s after the restart:\n{scaled_stack.log.read_text()[-3000:]}"
    assert took < 40, f"the last job was claimed {took:.0f} s after the restart"
    for job_id in jobs:
        done = scaled_stack.wait(job_id, timeout=30)
        assert done["status"] == "finished", done["error"]
