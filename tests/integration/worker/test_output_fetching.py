"""After a prompt ends: its outputs are fetched while ComfyUI already runs the next prompts."""

from __future__ import annotations

from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack
from tests.integration.worker.test_cancel import received, wait_until


def test_a_slow_output_fetch_does_not_hold_up_the_next_prompts(stack: Stack, double: ComfyDouble) -> None:
    double.settings.hold_views = True  # every image stays on its way until released below
    jobs = [stack.submit(seed=i) for i in range(4)]
    # More jobs than the lane's two slots: the last two went into ComfyUI while the first two's
    # outputs were still being fetched.
    wait_until(lambda: received(double) == {job["id"] for job in jobs}, timeout=30)
    assert {stack.job(job["id"])["status"] for job in jobs} == {"processing"}
    double.settings.hold_views = False
    done = [stack.wait(job["id"]) for job in jobs]
    assert [job["status"] for job in done] == ["finished"] * 4
    for job in done:
        [output] = job["outputs"]
        image = stack.http.get(output["url"])
        assert image.status_code == 200 and len(image.content) == output["size_bytes"]
        assert (output["width"], output["height"]) == (1024, 1024)
