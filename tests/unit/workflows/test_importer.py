"""`studio workflows import`'s core: the roles found in each graph, the built-ins' graphs giving
their hand-written manifests back, the written folder loading as the server loads it, refusals."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from server.workflows.importer import ImportRefused, NameTaken, plan, write
from server.workflows.loader import load_workflow
from server.workflows.manifest import AspectRatioParam, ChoiceParam, ModelParam, Param
from server.workflows.object_info import ObjectInfo, load_file
from tests.common.paths import REPO

DATA = REPO / "tests/data/comfyui"
GRAPHS = DATA / "workflows"
BUILT_INS = REPO / "workflows"
SIZE = "aspect_ratio"  # bound as width/height: shown here as "NODE.size"
SAMPLING = {"seed": "3.seed", "steps": "3.steps", "cfg": "3.cfg", "sampler": "3.sampler_name", "scheduler": "3.scheduler"}

# Every graph in tests/data/comfyui/workflows/ (copied from ../shared/comfyui/workflows/): param -> binding.
ROLES = {
    "cache_probe_scale_invert_save": {SIZE: "1.size", "batch_size": "1.batch_size"},
    "empty_image_save_batch2": {SIZE: "1.size", "batch_size": "1.batch_size"},
    "exec_error_blend_batch_mismatch": {
        SIZE: "1.size", "batch_size": "1.batch_size", "aspect_ratio_2": "2.size", "batch_size_2": "2.batch_size",
    },
    # Node 3's size is wired from GetImageSize: not a value anyone types in.
    "getimagesize_savewebsocket": {SIZE: "1.size", "batch_size": "1.batch_size"},
    "loadimage_save": {"image": "1.image"},
    "loadimage_scale_invert_blend_save": {"image": "1.image", SIZE: "4.size", "batch_size": "4.batch_size"},
    "needs_model_sd15_txt2img": {
        "prompt": "6.text", "negative_prompt": "7.text", "model": "4.ckpt_name", SIZE: "5.size",
        "batch_size": "5.batch_size", **SAMPLING,  # no denoise: the sampler starts from an empty latent
    },
    "savewebsocket_large_batch": {SIZE: "1.size", "batch_size": "1.batch_size"},
    "slow_blur_chain": {SIZE: "1.size", "batch_size": "1.batch_size"},
    "string_regex_previewany": {},
}
# What the hand-written manifests expose beyond the roles.
BUILT_IN_EXPOSED = {"image_compose": ["12.direction"], "upscale": ["4.scale_by"]}


@pytest.fixture(scope="module")
def info() -> ObjectInfo:
    return load_file(DATA / "http/object_info.json")


def graph_of(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def bindings(params: dict[str, Param]) -> dict[str, str]:
    found = {}
    for name, param in params.items():
        if isinstance(param, AspectRatioParam):
            assert [w.split(".")[0] for w in param.width] == [h.split(".")[0] for h in param.height]
            found[name] = f"{param.width[0].split('.')[0]}.size"
        else:
            found[name] = ",".join(param.bind)
    return found


def test_every_shared_graph_is_covered() -> None:
    assert {path.stem for path in GRAPHS.glob("*.json")} == set(ROLES)


@pytest.mark.parametrize("graph_name", sorted(ROLES))
def test_roles_found_and_the_workflow_loads(graph_name: str, info: ObjectInfo, tmp_path: Path) -> None:
    graph = graph_of(GRAPHS / f"{graph_name}.json")
    manifest = plan(graph, graph_name, [], info, tmp_path)
    assert bindings(manifest.params) == ROLES[graph_name]
    workflow = write(tmp_path, graph_name, graph, manifest)
    assert workflow == load_workflow(tmp_path / graph_name)
    assert workflow.graph == graph


def test_typed_limited_and_defaulted_from_comfy_and_the_graph(info: ObjectInfo, tmp_path: Path) -> None:
    params = plan(graph_of(GRAPHS / "needs_model_sd15_txt2img.json"), "sd15", [], info, tmp_path).params
    assert params["prompt"].default == "a cat" and params["prompt"].required
    assert params["model"].folder == "checkpoints" and params["model"].default == "v1-5-pruned-emaonly.safetensors"
    assert params["seed"].default == -1  # random, as the built-ins
    steps = params["steps"]
    assert (steps.default, steps.min, steps.max) == (20, 1, 10000)
    assert params["sampler"].choices == "comfy" and params["sampler"].default == "euler"
    ratio = params["aspect_ratio"]
    assert ratio.default == "1:1" and ratio.presets["1:1"] == (512, 512) and ratio.presets["16:9"] == (672, 384)


def test_a_size_no_preset_gives_is_the_default(info: ObjectInfo, tmp_path: Path) -> None:
    graph = graph_of(GRAPHS / "empty_image_save_batch2.json")
    graph["1"]["inputs"].update(width=640, height=200)
    ratio = plan(graph, "odd", [], info, tmp_path).params["aspect_ratio"]
    assert ratio.default == "640x200" and ratio.presets["640x200"] == (640, 200)


@pytest.mark.parametrize("name", sorted(path.name for path in BUILT_INS.iterdir() if (path / "manifest.json").is_file()))
def test_built_in_graphs_give_the_hand_written_parameters(name: str, info: ObjectInfo, tmp_path: Path) -> None:
    hand_written = load_workflow(BUILT_INS / name)
    generated = plan(hand_written.graph, name, BUILT_IN_EXPOSED.get(name, []), info, tmp_path)
    expected = {param_name: param.bindings() for param_name, param in hand_written.manifest.params.items()}
    assert {param_name: param.bindings() for param_name, param in generated.params.items()} == expected
    for param_name, param in generated.params.items():
        written = hand_written.manifest.params[param_name]
        assert type(param) is type(written), param_name
        if isinstance(param, ChoiceParam | ModelParam):
            assert (param.default, getattr(param, "choices", None)) == (written.default, getattr(written, "choices", None))


def test_flux_style_prompt_through_guidance_and_a_lora(info: ObjectInfo, tmp_path: Path) -> None:
    graph = graph_of(GRAPHS / "needs_model_sd15_txt2img.json")
    graph["10"] = {"class_type": "LoraLoader", "inputs": {
        "model": ["4", 0], "clip": ["4", 1], "lora_name": "detail.safetensors", "strength_model": 0.8, "strength_clip": 0.8,
    }}
    graph["11"] = {"class_type": "FluxGuidance", "inputs": {"conditioning": ["6", 0], "guidance": 3.5}}
    graph["3"]["inputs"].update(positive=["11", 0], model=["10", 0])
    params = plan(graph, "flux", [], info, tmp_path).params
    assert params["prompt"].bind == ["6.text"] and params["negative_prompt"].bind == ["7.text"]
    assert params["lora"].folder == "loras" and params["lora"].default == "detail.safetensors"
    assert params["lora_strength"].bind == ["10.strength_model", "10.strength_clip"]


def test_expose_types_the_input_from_comfy(info: ObjectInfo, tmp_path: Path) -> None:
    graph = graph_of(GRAPHS / "slow_blur_chain.json")
    params = plan(graph, "blur", ["2.sigma", "3.sigma", "2.blur_radius"], info, tmp_path).params
    assert params["sigma"].bind == ["2.sigma"] and params["sigma_2"].bind == ["3.sigma"]
    assert params["sigma"].default == 10.0 and params["sigma"].max == info.node("ImageBlur").inputs["sigma"].max
    assert type(params["blur_radius"]).__name__ == "IntegerParam" and params["blur_radius"].default == 31


def refusal(info: ObjectInfo, folder: Path, graph: Any, name: str = "new", expose: list[str] | None = None) -> str:
    with pytest.raises(ImportRefused) as refused:
        plan(graph, name, expose or [], info, folder)
    return str(refused.value)


def test_refusals_name_the_node_and_the_reason(info: ObjectInfo, tmp_path: Path) -> None:
    graph = graph_of(GRAPHS / "slow_blur_chain.json")
    ui_format = {"last_node_id": 6, "nodes": [{"id": 1, "type": "EmptyImage"}], "links": []}
    assert "Export (API)" in refusal(info, tmp_path, ui_format)
    assert "Export (API)" in refusal(info, tmp_path, [1, 2])
    no_output = {k: v for k, v in graph.items() if k != "6"}
    assert "no output node" in refusal(info, tmp_path, no_output)
    custom = copy.deepcopy(graph) | {"7": {"class_type": "ImpactWildcardEncode", "inputs": {}}}
    assert "node 7 (ImpactWildcardEncode)" in refusal(info, tmp_path, custom)
    assert "node '9'" in refusal(info, tmp_path, graph, expose=["9.sigma"])
    assert "node 2 (ImageBlur) has no input 'sigmaa'" in refusal(info, tmp_path, graph, expose=["2.sigmaa"])
    assert "wired from another node" in refusal(info, tmp_path, graph, expose=["2.image"])
    assert "already the parameter 'batch_size'" in refusal(info, tmp_path, graph, expose=["1.batch_size"])
    assert "cannot be a workflow's folder" in refusal(info, tmp_path, graph, name="../up")
    (tmp_path / "taken").mkdir()
    with pytest.raises(NameTaken, match="'taken' exists already"):
        plan(graph, "taken", [], info, tmp_path)


def test_a_combo_exposed_lists_comfy_choices(info: ObjectInfo, tmp_path: Path) -> None:
    graph = graph_of(GRAPHS / "cache_probe_scale_invert_save.json")
    method = plan(graph, "scale", ["2.upscale_method"], info, tmp_path).params["upscale_method"]
    assert method.default == "bilinear" and method.choices == list(info.node("ImageScale").inputs["upscale_method"].choices)


def test_a_graph_value_comfy_refuses_is_named(info: ObjectInfo, tmp_path: Path) -> None:
    graph = graph_of(GRAPHS / "needs_model_sd15_txt2img.json")
    graph["3"]["inputs"]["sampler_name"] = "euler_turbo_custom"
    assert "node 3 (KSampler) input 'sampler_name'" in refusal(info, tmp_path, graph)


def link(node_id: str) -> list[Any]:
    return [node_id, 0]


def test_flux_custom_sampler_graph(info: ObjectInfo, tmp_path: Path) -> None:
    """SamplerCustomAdvanced: seed, sampler, steps and scheduler on their own nodes, the prompt behind a guider."""
    graph = {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors", "weight_dtype": "default"}},
        "2": {"class_type": "DualCLIPLoader", "inputs": {
            "clip_name1": "clip_l.safetensors", "clip_name2": "t5xxl_fp16.safetensors", "type": "flux"}},
        "3": {"class_type": "VAELoader", "inputs": {"vae_name": "ae.safetensors"}},
        "4": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse", "clip": link("2")}},
        "5": {"class_type": "FluxGuidance", "inputs": {"conditioning": link("4"), "guidance": 3.5}},
        "6": {"class_type": "BasicGuider", "inputs": {"model": link("1"), "conditioning": link("5")}},
        "7": {"class_type": "RandomNoise", "inputs": {"noise_seed": 42}},
        "8": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "9": {"class_type": "BasicScheduler", "inputs": {"model": link("1"), "scheduler": "simple", "steps": 20, "denoise": 1.0}},
        "10": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
        "11": {"class_type": "SamplerCustomAdvanced", "inputs": {
            "noise": link("7"), "guider": link("6"), "sampler": link("8"), "sigmas": link("9"), "latent_image": link("10")}},
        "12": {"class_type": "VAEDecode", "inputs": {"samples": link("11"), "vae": link("3")}},
        "13": {"class_type": "SaveImage", "inputs": {"images": link("12"), "filename_prefix": "flux"}},
    }
    manifest = plan(graph, "flux", [], info, tmp_path)
    assert bindings(manifest.params) == {
        "prompt": "4.text", "model": "1.unet_name", "text_encoder": "2.clip_name1", "text_encoder_2": "2.clip_name2",
        "vae": "3.vae_name", SIZE: "10.size", "batch_size": "10.batch_size", "seed": "7.noise_seed",
        "steps": "9.steps", "sampler": "8.sampler_name", "scheduler": "9.scheduler",  # no denoise: from an empty latent
    }
    assert manifest.params["model"].folder == "diffusion_models"
    assert write(tmp_path, "flux", graph, manifest).name == "flux"
