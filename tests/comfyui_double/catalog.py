"""The node catalogue: the recorded /object_info with this double's model and input file lists."""

from __future__ import annotations

import functools
import json
import mimetypes
from pathlib import Path
from typing import Any

from .files import FileStore
from .settings import DoubleSettings

OBJECT_INFO_PATH = Path(__file__).resolve().parents[1] / "data" / "comfyui" / "http" / "object_info.json"

# Combo inputs filled from a model folder. The recording server had no models, so these are exactly
# the combos that are empty in object_info.json; VAELoader is special-cased below.
MODEL_INPUT_FOLDERS = {
    "ckpt_name": "checkpoints",
    "lora_name": "loras",
    "unet_name": "diffusion_models",
    "clip_name1": "text_encoders",
    "clip_name2": "text_encoders",
    "clip_name3": "text_encoders",
    "clip_name4": "text_encoders",
    "control_net_name": "controlnet",
    "style_model_name": "style_models",
    "gligen_name": "gligen",
    "model_path": "diffusers",
    "hypernetwork_name": "hypernetworks",
    "photomaker_model_name": "photomaker",
    "audio_encoder_name": "audio_encoders",
}
# Inputs whose name alone is ambiguous.
CLASS_INPUT_FOLDERS = {
    ("CLIPLoader", "clip_name"): "text_encoders",
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
    ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("ModelPatchLoader", "name"): "model_patches",
}
# Nodes whose combo lists the top-level image files of the input directory.
INPUT_IMAGE_NODES = ("LoadImage", "LoadImageMask")


@functools.cache
def recorded_object_info() -> dict[str, Any]:
    # Parsed once per process: 0.5 MB of JSON. Never mutated; Catalog copies what it patches.
    return json.loads(OBJECT_INFO_PATH.read_text())


def combo_options(spec: list[Any]) -> list[Any] | None:
    """The option list of a combo input spec (legacy `[[...], {}]` or v3 `["COMBO", {"options"}]`)."""
    if isinstance(spec[0], list):
        return spec[0]
    if spec[0] == "COMBO":
        return (spec[1] if len(spec) > 1 else {}).get("options", [])
    return None


def with_options(spec: list[Any], options: list[str]) -> list[Any]:
    if isinstance(spec[0], list):
        return [options, *spec[1:]]
    return [spec[0], {**(spec[1] if len(spec) > 1 else {}), "options": options}, *spec[2:]]


class Catalog:
    def __init__(self, settings: DoubleSettings, files: FileStore) -> None:
        self._settings = settings
        self._files = files

    def node(self, class_type: str) -> dict[str, Any] | None:
        base = recorded_object_info().get(class_type)
        return None if base is None else self._patched(class_type, base)

    def object_info(self) -> dict[str, Any]:
        return {name: self._patched(name, info) for name, info in recorded_object_info().items()}

    def _patched(self, class_type: str, info: dict[str, Any]) -> dict[str, Any]:
        changes: dict[str, dict[str, list[Any]]] = {}
        for category, inputs in info["input"].items():
            if category == "hidden":
                continue
            for name, spec in inputs.items():
                options = self._options_for(class_type, name, spec)
                if options is not None:
                    changes.setdefault(category, {})[name] = with_options(spec, options)
        if not changes:
            return info
        new_input = {cat: {**inputs, **changes.get(cat, {})} for cat, inputs in info["input"].items()}
        return {**info, "input": new_input}

    def _options_for(self, class_type: str, name: str, spec: list[Any]) -> list[str] | None:
        current = combo_options(spec)
        if current is None:
            return None
        if class_type in INPUT_IMAGE_NODES and name == "image":
            return self._input_images()
        if class_type == "VAELoader" and name == "vae_name":
            return self._settings.model_files("vae") + ["pixel_space"]
        folder = CLASS_INPUT_FOLDERS.get((class_type, name)) or MODEL_INPUT_FOLDERS.get(name)
        if folder is None or current:
            return None
        return self._settings.model_files(folder)

    def _input_images(self) -> list[str]:
        # Like LoadImage.INPUT_TYPES: sorted top-level files whose mimetype is image/*.
        names = [p.name for p in self._files.input_dir.iterdir() if p.is_file()]
        return sorted(n for n in names if (mimetypes.guess_type(n, strict=False)[0] or "").startswith("image/"))
