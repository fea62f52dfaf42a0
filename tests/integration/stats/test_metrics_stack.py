"""/metrics on Studio as users run it, in front of the ComfyUI double: the job figures move as jobs
run, and every API host reports the same queue, whichever process ran the jobs."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.stats.scrape import scrape, value, wait_for
from tests.integration.worker.stack import Stack, StudioProcess
from tests.net import free_port, wait_until_healthy

T2I = {"workflow": "text_to_image"}


def test_job_figures_move_when_jobs_run(stack: Stack) -> None:
    before = scrape(stack.http)
    jobs = [stack.submit(seed=n) for n in range(2)]
    for job in jobs:
        assert stack.wait(job["id"])["status"] == "finished"

    def moved(text: str) -> bool:
        return value(text, "studio_jobs_total", status="finished", **T2I) == value(before, "studio_jobs_total", status="finished", **T2I) + 2

    after = wait_for(stack.http, moved)
    assert value(after, "studio_jobs_submitted_total", **T2I) == value(before, "studio_jobs_submitted_total", **T2I) + 2
    assert value(after, "studio_job_run_seconds_count", **T2I) == value(before, "studio_job_run_seconds_count", **T2I) + 2
    assert value(after, "studio_job_run_seconds_sum", **T2I) > value(before, "studio_job_run_seconds_sum", **T2I)
    assert value(after, "studio_job_wait_seconds_count", **T2I) == value(before, "studio_job_wait_seconds_count", **T2I) + 2
    assert value(after, "studio_queue_depth") == 0
    assert value(after, "studio_jobs_running") == 0
    assert value(after, "studio_comfyui_up", url=stack.env["STUDIO_COMFY_URL"]) == 1


def test_every_api_host_reports_the_same_queue(scaled_stack: Stack, tmp_path: Path) -> None:
    """Two `studio serve --no-worker` on the same PostgreSQL and Redis: jobs submitted to one and
    run by the worker show on both, queued and then finished."""
    port = free_port()
    other = StudioProcess(["serve", "--no-worker"], {**scaled_stack.env, "STUDIO_PORT": str(port)}, tmp_path / "api-2.log").start()
    try:
        assert wait_until_healthy(f"http://127.0.0.1:{port}", 30), (tmp_path / "api-2.log").read_text()[-3000:]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as second:
            hosts = (scaled_stack.http, second)
            assert scaled_stack.worker is not None
            scaled_stack.worker.stop()  # the jobs wait in the queue
            jobs = [scaled_stack.submit(seed=n) for n in range(3)]
            for http in hosts:
                queued = wait_for(http, lambda text: value(text, "studio_queue_depth") == 3)
                assert value(queued, "studio_jobs_submitted_total", **T2I) == 3
                assert value(queued, "studio_jobs_running") == 0

            scaled_stack.restart_worker()
            for job in jobs:
                assert scaled_stack.wait(job["id"])["status"] == "finished"
            for http in hosts:
                done = wait_for(http, lambda text: value(text, "studio_jobs_total", status="finished", **T2I) == 3)
                assert value(done, "studio_queue_depth") == 0
                assert value(done, "studio_job_run_seconds_count", **T2I) == 3
                # Requests are each process's own: the second host answered none of the submissions.
                assert value(done, "studio_http_requests_total", method="POST", route="/api/jobs", status="202") == (3 if http is scaled_stack.http else 0)
    finally:
        other.stop()
