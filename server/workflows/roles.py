"""The parameters a ComfyUI user expects of a graph, found by node class and wiring.

Each role binds typed-in values (never links) and takes its type, limits and choices from
ComfyUI's /object_info, its default from the graph. Names follow the built-in manifests, with
`_2`, `_3`... when a graph has several of one (two input images: `image`, `image_2`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from server.workflows.manifest import (
    COMFY,
    AspectRatioParam,
    ChoiceParam,
    ImageParam,
    IntegerParam,
    ModelParam,
    NumberParam,
    Param,
    SeedParam,
    TextParam,
)
from server.workflows.object_info import InputSpec, ObjectInfo

PROMPT_MAX_LENGTH = 4000
SEED_DESCRIPTION = "-1 picks a random seed; the one used is stored for remix."
# The SDXL sizes (one megapixel); a graph's presets are these scaled to the graph's own area.
BASE_PRESETS = {
    "1:1": (1024, 1024), "4:3": (1152, 896), "3:4": (896, 1152), "3:2": (1216, 832),
    "2:3": (832, 1216), "16:9": (1344, 768), "9:16": (768, 1344), "21:9": (1536, 640),
}
# class -> (input, ComfyUI model folder, role, label); role "model" is the main model.
LOADERS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "CheckpointLoaderSimple": (("ckpt_name", "checkpoints", "model", "Checkpoint"),),
    "UNETLoader": (("unet_name", "diffusion_models", "model", "Diffusion model"),),
    "CLIPLoader": (("clip_name", "text_encoders", "text_encoder", "Text encoder"),),
    "DualCLIPLoader": (
        ("clip_name1", "text_encoders", "text_encoder", "Text encoder"),
        ("clip_name2", "text_encoders", "text_encoder", "Text encoder"),
    ),
    "VAELoader": (("vae_name", "vae", "vae", "VAE"),),
    "LoraLoader": (("lora_name", "loras", "lora", "LoRA"),),
    "LoraLoaderModelOnly": (("lora_name", "loras", "lora", "LoRA"),),
    "UpscaleModelLoader": (("model_name", "upscale_models", "upscale_model", "Upscale model"),),
    "ControlNetLoader": (("control_net_name", "controlnet", "controlnet", "ControlNet"),),
}
ADVANCED_MODELS = {"text_encoder", "vae"}
# Guiders with one conditioning input (Flux's SamplerCustomAdvanced graphs): it is the positive prompt.
SINGLE_CONDITIONING = {"BasicGuider": "conditioning"}
IMAGE_LOADERS = {"LoadImage": "image", "LoadImageMask": "image"}
# A sampler's typed-in inputs, whatever the node (KSampler, RandomNoise, BasicScheduler...).
SAMPLING = {"seed": "seed", "noise_seed": "seed", "steps": "steps", "cfg": "cfg", "sampler_name": "sampler",
            "scheduler": "scheduler", "denoise": "denoise"}
LABELS = {"steps": "Steps", "cfg": "CFG", "sampler": "Sampler", "scheduler": "Scheduler", "denoise": "Denoise"}
ADVANCED_SAMPLING = {"steps", "cfg", "sampler", "scheduler"}
# Listed as ComfyUI lists them when a job is checked (`"choices": "comfy"`), so new ones appear.
COMFY_CHOICES = {"sampler", "scheduler"}
# The order of a manifest's parameters, as in the built-ins.
ORDER = ("prompt", "negative_prompt", "image", "model", "text_encoder", "vae", "lora", "lora_strength",
         "upscale_model", "controlnet", "aspect_ratio", "batch_size", "denoise", "seed", "steps", "cfg", "sampler",
         "scheduler")


class RoleError(Exception):
    """A graph value that ComfyUI's object info refuses; the message names the node and input."""


def find_params(graph: dict[str, Any], info: ObjectInfo) -> dict[str, Param]:
    """Every role's parameter, in the built-ins' order."""
    found: list[tuple[str, Param]] = [
        *_prompts(graph, info), *_images(graph), *_models(graph, info), *_sizes(graph, info), *_sampling(graph, info),
    ]
    found.sort(key=lambda role: ORDER.index(role[0]))
    params: dict[str, Param] = {}
    for role, param in found:
        params[free_name(role, params)] = param
    return params


def exposed_param(graph: dict[str, Any], info: ObjectInfo, node_id: str, input_name: str) -> Param:
    """A parameter for any typed-in input (`--expose`); RoleError when it cannot be one."""
    node = graph[node_id]
    spec = _spec(info, node, input_name)
    where = f"node {node_id} ({node['class_type']}) input {input_name!r}"
    if spec is None:
        raise RoleError(f"{where} is not one ComfyUI's /object_info lists for that class")
    label = input_name.replace("_", " ").capitalize()
    value = node["inputs"][input_name]
    bind = [f"{node_id}.{input_name}"]
    match spec.kind:
        case "LINK":
            raise RoleError(f"{where} is wired from another node; only a typed-in value can be a parameter")
        case "BOOLEAN":
            raise RoleError(f"{where} is a yes/no value, which Studio parameters cannot be yet")
        case "INT" if "seed" in input_name:
            return SeedParam(label=label, description=SEED_DESCRIPTION, bind=bind)
        case "INT" | "FLOAT":
            return _number(spec, value, where, label=label, bind=bind)
        case "COMBO":
            return _choice(spec, value, where, label=label, bind=bind)
    return TextParam(label=label, default=str(value), max_length=max(PROMPT_MAX_LENGTH, len(str(value))), bind=bind)


def free_name(base: str, taken: dict[str, Any]) -> str:
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}_{number}"
    return name


def _literal(node: dict[str, Any], input_name: str) -> bool:
    return input_name in node["inputs"] and not _is_link(node["inputs"][input_name])


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)


def _spec(info: ObjectInfo, node: dict[str, Any], input_name: str) -> InputSpec | None:
    node_class = info.node(node["class_type"])
    return node_class.inputs.get(input_name) if node_class else None


def _prompt_inputs(info: ObjectInfo, node: dict[str, Any]) -> list[str]:
    return [
        name for name in node["inputs"]
        if _literal(node, name) and (spec := _spec(info, node, name)) and spec.kind == "STRING" and spec.multiline
    ]


def _encoder(graph: dict[str, Any], info: ObjectInfo, link: Any) -> str | None:
    """The node whose typed-in text ends up in this conditioning link, through nodes that pass
    conditioning on (FluxGuidance, ControlNetApply...)."""
    seen: set[str] = set()
    while _is_link(link) and link[0] in graph and link[0] not in seen:
        node_id = link[0]
        seen.add(node_id)
        node = graph[node_id]
        if _prompt_inputs(info, node):
            return node_id
        link = next(
            (value for name, value in node["inputs"].items()
             if _is_link(value) and (spec := _spec(info, node, name)) and spec.link_type == "CONDITIONING"),
            None,
        )
    return None


def _prompts(graph: dict[str, Any], info: ObjectInfo) -> Iterator[tuple[str, Param]]:
    encoders: dict[str, str] = {}  # node id -> role, the positive winning when one feeds both
    for side, role in (("positive", "prompt"), ("negative", "negative_prompt")):
        for node in graph.values():
            if side == "positive" and node["class_type"] in SINGLE_CONDITIONING:
                side_input = SINGLE_CONDITIONING[node["class_type"]]
            else:
                side_input = side
            node_id = _encoder(graph, info, node["inputs"].get(side_input))
            if node_id is not None and node_id not in encoders:
                encoders[node_id] = role
    for node_id, role in encoders.items():
        node = graph[node_id]
        names = _prompt_inputs(info, node)
        text = str(node["inputs"][names[0]])
        bind = [f"{node_id}.{name}" for name in names]
        max_length = max(PROMPT_MAX_LENGTH, len(text))
        if role == "prompt":
            yield role, TextParam(label="Prompt", required=True, default=text, max_length=max_length, bind=bind)
        else:
            yield role, TextParam(label="Negative prompt", default=text, max_length=max_length, bind=bind)


def _images(graph: dict[str, Any]) -> Iterator[tuple[str, Param]]:
    for node_id, node in graph.items():
        role = IMAGE_LOADERS.get(node["class_type"])
        if role and _literal(node, "image"):
            yield role, ImageParam(label="Input image", bind=[f"{node_id}.image"])


def _models(graph: dict[str, Any], info: ObjectInfo) -> Iterator[tuple[str, Param]]:
    has_main = any(
        role == "model" and _literal(node, input_name)
        for node in graph.values()
        for input_name, _, role, _ in LOADERS.get(node["class_type"], ())
    )
    for node_id, node in graph.items():
        for input_name, folder, role, label in LOADERS.get(node["class_type"], ()):
            if not _literal(node, input_name):
                continue
            # A graph without a checkpoint or UNET (upscaling) calls its one model "model".
            if role == "upscale_model" and not has_main:
                role, has_main = "model", True
            yield role, ModelParam(
                label=label, advanced=role in ADVANCED_MODELS, folder=folder,
                default=str(node["inputs"][input_name]), bind=[f"{node_id}.{input_name}"],
            )
        strengths = [name for name in ("strength_model", "strength_clip") if _literal(node, name)]
        if node["class_type"] in ("LoraLoader", "LoraLoaderModelOnly") and strengths:
            spec = _spec(info, node, strengths[0])
            if spec is not None:
                where = f"node {node_id} ({node['class_type']}) input {strengths[0]!r}"
                yield "lora_strength", _number(
                    spec, node["inputs"][strengths[0]], where, label="LoRA strength",
                    bind=[f"{node_id}.{name}" for name in strengths],
                )


def _is_size_source(node: dict[str, Any]) -> bool:
    """An empty latent or image whose width and height are typed in."""
    return node["class_type"].startswith("Empty") and _literal(node, "width") and _literal(node, "height")


def _sizes(graph: dict[str, Any], info: ObjectInfo) -> Iterator[tuple[str, Param]]:
    for node_id, node in graph.items():
        batch = None
        if _is_size_source(node):
            width, height = int(node["inputs"]["width"]), int(node["inputs"]["height"])
            step = int((spec.step if (spec := _spec(info, node, "width")) else None) or 8)
            yield "aspect_ratio", _aspect_ratio(width, height, step, node_id)
            batch = "batch_size"
        elif node["class_type"] == "RepeatLatentBatch":
            batch = "amount"
        if batch and _literal(node, batch) and (spec := _spec(info, node, batch)):
            where = f"node {node_id} ({node['class_type']}) input {batch!r}"
            yield "batch_size", _number(
                spec, node["inputs"][batch], where, label="Batch size", bind=[f"{node_id}.{batch}"]
            )


def _aspect_ratio(width: int, height: int, step: int, node_id: str) -> AspectRatioParam:
    scale = math.sqrt(width * height) / 1024
    presets = {
        ratio: (max(step, round(w * scale / step) * step), max(step, round(h * scale / step) * step))
        for ratio, (w, h) in BASE_PRESETS.items()
    }
    default = next((ratio for ratio, size in presets.items() if size == (width, height)), None)
    if default is None:  # the graph's own size, first, when no ratio gives it exactly
        default = f"{width}x{height}"
        presets = {default: (width, height), **presets}
    return AspectRatioParam(
        label="Aspect ratio", presets=presets, default=default,
        width=[f"{node_id}.width"], height=[f"{node_id}.height"],
    )


def _feeds_from_empty(graph: dict[str, Any], node: dict[str, Any]) -> bool:
    """Denoise means nothing to a sampler that starts from an empty latent (text to image)."""
    link = node["inputs"].get("latent_image")
    return _is_link(link) and link[0] in graph and _is_size_source(graph[link[0]])


def _denoise_matters(graph: dict[str, Any], node: dict[str, Any]) -> bool:
    """A sampler's own latent says; a scheduler's denoise (BasicScheduler) matters unless every
    sampler of the graph starts from an empty latent."""
    if "latent_image" in node["inputs"]:
        return not _feeds_from_empty(graph, node)
    samplers = [other for other in graph.values() if "latent_image" in other["inputs"]]
    return not samplers or not all(_feeds_from_empty(graph, sampler) for sampler in samplers)


def _sampling(graph: dict[str, Any], info: ObjectInfo) -> Iterator[tuple[str, Param]]:
    for node_id, node in graph.items():
        for input_name, role in SAMPLING.items():
            spec = _spec(info, node, input_name)
            if spec is None or not _literal(node, input_name):
                continue
            if role == "denoise" and not _denoise_matters(graph, node):
                continue
            bind = [f"{node_id}.{input_name}"]
            where = f"node {node_id} ({node['class_type']}) input {input_name!r}"
            value = node["inputs"][input_name]
            advanced = role in ADVANCED_SAMPLING
            if role == "seed" and spec.kind == "INT":
                yield role, SeedParam(label="Seed", description=SEED_DESCRIPTION, bind=bind)
            elif spec.kind in ("INT", "FLOAT"):
                yield role, _number(spec, value, where, label=LABELS[role], advanced=advanced, bind=bind)
            elif spec.kind == "COMBO":
                yield role, _choice(
                    spec, value, where, comfy=role in COMFY_CHOICES, label=LABELS[role], advanced=advanced, bind=bind
                )


def _number(spec: InputSpec, value: Any, where: str, **fields: Any) -> IntegerParam | NumberParam:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RoleError(f"{where}: {value!r} is not a number")
    low, high = spec.min, spec.max
    if (low is not None and value < low) or (high is not None and value > high):
        raise RoleError(f"{where}: {value} lies outside ComfyUI's limits {low}..{high}")
    if spec.kind == "INT":
        return IntegerParam(default=int(value), min=_int(low), max=_int(high), **fields)
    return NumberParam(default=float(value), min=low, max=high, **fields)


def _int(limit: float | None) -> int | None:
    return None if limit is None else int(limit)


def _choice(spec: InputSpec, value: Any, where: str, comfy: bool = False, **fields: Any) -> ChoiceParam:
    if str(value) not in spec.choices:
        raise RoleError(f"{where}: {value!r} is not one of the choices this ComfyUI offers")
    return ChoiceParam(choices=COMFY if comfy else list(spec.choices), default=str(value), **fields)
