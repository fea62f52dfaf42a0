"""Nothing is lost when ComfyUI or the worker goes away mid-job."""

from __future__ import annotations

import threading
import time

import pytest

from server.jobs.failures import ComfyUnreachable
from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import PRODUCTION_TIMINGS, Stack, runs_of
from tests.integration.worker.test_cancel import SLOW, slow, wait_until
from tests.integration.worker.test_job_outcomes import failure

# Longer than the lane's longest pause between reconnection attempts.
RESTART_SECONDS = 6


def test_comfyui_down_then_back(stack: Stack, double: ComfyDouble) -> None:
    double.kill()
    job = stack.submit()
    # The job is tried on the absent ComfyUI again and again, and waits meanwhile.
    wait_until(lambda: stack.log.read_text().count(f"job {job['id']}: ComfyUI unreachable") >= 3)
    assert stack.job(job["id"])["status"] in ("queued", "processing")
    double.start()
    done = stack.wait(job["id"])
    assert done["status"] == "finished", done["error"]
    assert len(done["outputs"]) == 1


@pytest.mark.studio_env(PRODUCTION_TIMINGS)
def test_comfyui_restarted_mid_job_runs_it_again_as_soon_as_it_is_back(stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    job = stack.submit(**SLOW)
    stack.wait(job["id"], {"processing"}, progress_at_least=31)
    double.kill()  # forgets the queue and the history, like a real restart...
    time.sleep(RESTART_SECONDS)  # ...which takes a while: loading nodes and models
    double.settings.step_seconds = 0.005
    double.start()
    back = time.monotonic()
    wait_until(lambda: runs_of(double, job["id"]) == 2, timeout=30)
    started_after = time.monotonic() - back
    assert started_after < 5, f"the second run started {started_after:.1f} s after ComfyUI came back"
    done = stack.wait(job["id"], timeout=30)
    assert done["status"] == "finished", done["error"]
    assert done["attempts"] == 2


def test_comfyui_that_never_comes_back_fails_the_job_with_a_reason(stack: Stack, double: ComfyDouble) -> None:
    double.kill()
    job = stack.submit()
    done = stack.wait(job["id"], timeout=60)
    assert done["status"] == "failed"
    assert "could not be reached" in done["error"] and double.url in done["error"]
    assert failure(done) == ComfyUnreachable()


@pytest.mark.studio_env(PRODUCTION_TIMINGS)
def test_worker_killed_mid_job_is_recovered(stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    job = stack.submit(**SLOW)
    killed = stack.wait(job["id"], {"processing"}, progress_at_least=31)["worker"]
    stack.kill_worker()
    double.settings.step_seconds = 0.1  # still running when the new process re-attaches
    stack.restart_worker()
    wait_until(lambda: stack.job(job["id"])["worker"] != killed, timeout=30)
    assert double.running_prompt_id == job["id"]
    # The prompt is another process's: no frame of it reaches the new socket, polling sees it end.
    wait_until(lambda: bool(double.history(job["id"])), timeout=30)
    ended = time.monotonic()
    done = stack.wait(job["id"], timeout=40)
    assert time.monotonic() - ended < 3, "the job waited for a silence check"
    assert done["status"] == "finished", done["error"]
    assert len(done["outputs"]) == 1
    assert done["attempts"] == 1, "re-attached to the same ComfyUI prompt, not run again"
    assert [p.prompt_id for p in double.received_prompts].count(job["id"]) == 1


def test_worker_killed_while_comfyui_finished_collects_from_history(stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    job = stack.submit(**SLOW)
    stack.wait(job["id"], {"processing"}, progress_at_least=31)
    stack.kill_worker()
    wait_until(lambda: bool(double.history(job["id"])), timeout=20)
    stack.restart_worker()
    done = stack.wait(job["id"], timeout=40)
    assert done["status"] == "finished" and len(done["outputs"]) == 1


def test_next_prompt_waits_inside_comfyui_so_the_gpu_never_idles(stack: Stack, double: ComfyDouble) -> None:
    # Prompts long enough (2 s) that Studio's bookkeeping between them is small even on a loaded machine.
    double.settings.step_seconds = 0.02
    jobs = [stack.submit(steps=100, seed=i) for i in range(4)]
    # Whenever a prompt runs and more jobs wait, the next one must already be inside ComfyUI.
    idle_gaps: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if double.running_prompt_id is None and double.queue_remaining == 0:
                statuses = [stack.job(j["id"])["status"] for j in jobs]
                if "queued" in statuses and "finished" in statuses:
                    idle_gaps.append(",".join(statuses))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for job in jobs:
            assert stack.wait(job["id"])["status"] == "finished"
    finally:
        stop.set()
        watcher.join()
    assert idle_gaps == []
