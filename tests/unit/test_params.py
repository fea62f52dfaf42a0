"""Parameters: defaults, a drawn random seed, and their place in the ComfyUI graph."""

from __future__ import annotations

from server.workflows.loader import load_workflows
from server.workflows.params import fill_graph, resolve
from tests.common.paths import REPO

WORKFLOWS = load_workflows(REPO / "workflows")


def test_values_land_on_their_bound_inputs() -> None:
    workflow = WORKFLOWS["text_to_image"]
    resolved, errors = resolve(workflow, {"prompt": "a fox", "negative_prompt": "blur", "aspect_ratio": "2:3", "seed": 11, "batch_size": 3, "steps": 9, "cfg": 3.5, "sampler": "dpmpp_2m", "scheduler": "karras", "model": "m.safetensors"})
    assert errors == []
    graph = fill_graph(workflow, resolved.values)
    assert graph["6"]["inputs"]["text"] == "a fox" and graph["7"]["inputs"]["text"] == "blur"
    assert graph["5"]["inputs"] == {"width": 832, "height": 1216, "batch_size": 3}
    assert graph["3"]["inputs"] | {"model": None, "positive": None, "negative": None, "latent_image": None} == {
        "model": None, "positive": None, "negative": None, "latent_image": None,
        "seed": 11, "steps": 9, "cfg": 3.5, "sampler_name": "dpmpp_2m", "scheduler": "karras", "denoise": 1.0,
    }
    assert graph["4"]["inputs"]["ckpt_name"] == "m.safetensors"
    assert workflow.graph["6"]["inputs"]["text"] == "", "the template itself is untouched"


def test_random_seed_is_drawn_and_json_safe() -> None:
    resolved, _ = resolve(WORKFLOWS["text_to_image"], {"prompt": "x"})
    assert 0 <= resolved.values["seed"] < 2**53


def test_image_parameters_are_reported_for_checking() -> None:
    resolved, errors = resolve(WORKFLOWS["image_compose"], {"prompt": "x", "image": "a.png", "image_2": "b.png"})
    assert errors == [] and resolved.images == {"image": "a.png", "image_2": "b.png"}
    graph = fill_graph(WORKFLOWS["image_compose"], resolved.values)
    assert graph["10"]["inputs"]["image"] == "a.png" and graph["11"]["inputs"]["image"] == "b.png"


def test_every_built_in_fills_without_errors() -> None:
    for workflow in WORKFLOWS.values():
        params = {name: "upload.png" for name, p in workflow.manifest.params.items() if p.__struct_config__.tag == "image"}
        if "prompt" in workflow.manifest.params:
            params["prompt"] = "x"
        resolved, errors = resolve(workflow, params)
        assert errors == [], workflow.name
        fill_graph(workflow, resolved.values)
