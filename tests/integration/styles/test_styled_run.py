"""A styled job runs with the final prompt stored at submit: ComfyUI gets the style's words and
defaults, also from a worker process that has no styles folder of its own to read."""

from __future__ import annotations

from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack


def test_comfyui_gets_the_final_prompt_and_the_styles_defaults(stack: Stack, double: ComfyDouble) -> None:
    # Studio runs in the repository: its built-in styles folder.
    body = {"workflow": "text_to_image", "params": {"prompt": "a lighthouse", "negative_prompt": "people"}, "style": "cinematic"}
    response = stack.http.post("/api/jobs", json=body)
    assert response.status_code == 202, response.text
    job = stack.wait(response.json()["id"])
    assert job["status"] == "finished", job["error"]
    assert (job["prompt"], job["negative_prompt"], job["style"]) == ("a lighthouse", "people", "cinematic")
    graph = double.received_prompts[-1].body["prompt"]
    assert graph["6"]["inputs"]["text"] == job["styled_params"]["prompt"]
    assert graph["6"]["inputs"]["text"].startswith("cinematic film still of a lighthouse, ")
    assert graph["7"]["inputs"]["text"].endswith(", people")
    assert graph["3"]["inputs"]["cfg"] == 6.0 == job["cfg"]
