"""Cancel a job wherever it is: still queued, pending inside ComfyUI, or running."""

from __future__ import annotations

import time

from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack

SLOW = {"steps": 150}  # 150 sampler steps of 0.03 s: several seconds in the double


def slow(double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.03


def wait_until(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def received(double: ComfyDouble) -> set[str]:
    return {p.prompt_id for p in double.received_prompts if p.prompt_id}


def test_cancel_running_uses_the_targeted_interrupt(stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    job = stack.submit(**SLOW)
    stack.wait(job["id"], {"processing"}, progress_at_least=31)
    response = stack.http.post(f"/api/jobs/{job['id']}/cancel")
    assert response.status_code == 200 and response.json()["cancel_requested"] is True
    done = stack.wait(job["id"])
    assert done["status"] == "cancelled" and done["outputs"] == []
    assert double.global_interrupts == 0 and double.targeted_interrupts >= 1


def test_cancel_pending_inside_comfyui_deletes_it_from_the_queue(stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    first = stack.submit(**SLOW)
    second = stack.submit(**SLOW, seed=2)
    wait_until(lambda: {first["id"], second["id"]} <= received(double))
    # Two worker threads claim the two jobs; either may reach ComfyUI first.
    running = double.running_prompt_id
    pending = ({first["id"], second["id"]} - {running}).pop()
    stack.http.post(f"/api/jobs/{pending}/cancel")
    assert stack.wait(pending)["status"] == "cancelled"
    assert double.running_prompt_id == running, "the running job is untouched"
    assert double.history(pending) in (None, {}), "ComfyUI never ran it"
    assert all(i.prompt_id != pending or not i.applied for i in double.interrupts)
    stack.http.post(f"/api/jobs/{running}/cancel")
    assert stack.wait(running)["status"] == "cancelled"
    assert double.global_interrupts == 0


def test_cancel_queued_never_reaches_comfyui(stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    running = [stack.submit(**SLOW, seed=i) for i in range(2)]  # fill both slots of the lane
    wait_until(lambda: {j["id"] for j in running} <= received(double))
    queued = stack.submit(**SLOW, seed=9)
    response = stack.http.post(f"/api/jobs/{queued['id']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    for job in running:
        stack.http.post(f"/api/jobs/{job['id']}/cancel")
        stack.wait(job["id"])
    # A slot is free again: the worker takes the cancelled job's message, and drops it.
    wait_until(lambda: f"the message sent for job {queued['id']} found no job queued; dropped" in stack.log.read_text())
    assert queued["id"] not in received(double)
    assert stack.job(queued["id"])["status"] == "cancelled"


def test_cancel_a_finished_job_is_409(stack: Stack) -> None:
    job = stack.wait(stack.submit()["id"])
    response = stack.http.post(f"/api/jobs/{job['id']}/cancel")
    assert response.status_code == 409 and "already finished" in response.json()["detail"]
