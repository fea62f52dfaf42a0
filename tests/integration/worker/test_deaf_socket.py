"""A lane whose socket stops receiving frames still finishes its job (ComfyUI issue 16010)."""

from __future__ import annotations

from websockets.sync.client import connect

from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack


def test_job_finishes_when_comfyui_stops_sending_to_our_socket(single_stack: Stack, double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.02
    job = single_stack.submit(steps=100)
    single_stack.wait(job["id"], {"processing"}, progress_at_least=31)
    client_id = double.received_prompts[-1].body["client_id"]  # the lane's
    # A second socket with our clientId takes over; closing it leaves ours registered to nothing.
    with connect(f"{double.ws_url}?clientId={client_id}"):
        pass
    done = single_stack.wait(job["id"], timeout=40)
    assert done["status"] == "finished" and len(done["outputs"]) == 1
