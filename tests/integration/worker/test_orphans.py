"""A worker that never comes back: another host settles its jobs, and none runs twice."""

from __future__ import annotations

import msgspec

from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack, runs_of
from tests.integration.worker.test_cancel import SLOW, slow


def test_another_host_follows_the_prompt_on_the_lost_workers_comfyui(scaled_stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    job = scaled_stack.submit(**SLOW)
    scaled_stack.wait(job["id"], {"processing"}, progress_at_least=31)
    scaled_stack.kill_worker()  # gpu-host-1 is gone for good
    scaled_stack.start_another_worker("gpu-host-2")
    # Ten leases (1 s each here) after the last renewal, gpu-host-2 asks gpu-host-1's ComfyUI.
    done = scaled_stack.wait(job["id"], timeout=60)
    assert done["status"] == "finished", done["error"]
    assert len(done["outputs"]) == 1 and done["worker"].startswith("gpu-host-2/")
    assert done["attempts"] == 1 and runs_of(double, job["id"]) == 1


def test_a_job_whose_comfyui_is_gone_too_runs_again_on_another_host(scaled_stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    job = scaled_stack.submit(**SLOW)
    scaled_stack.wait(job["id"], {"processing"}, progress_at_least=31)
    other = ComfyDouble(msgspec.structs.replace(double.settings, step_seconds=0.005)).start()
    try:
        scaled_stack.kill_worker()
        double.kill()  # the host is gone: worker and ComfyUI
        scaled_stack.start_another_worker("gpu-host-2", other.url)
        done = scaled_stack.wait(job["id"], timeout=60)
        assert done["status"] == "finished", done["error"]
        assert done["worker"].startswith("gpu-host-2/") and runs_of(other, job["id"]) == 1
    finally:
        other.stop()
