"""Configuration of the ComfyUI double (a msgspec Struct, so the CLI can load it from JSON)."""

from __future__ import annotations

from typing import Literal

import msgspec

# The folder names a real 0.3.64 lists under GET /models, in its order (capture 13).
MODEL_FOLDERS = (
    "checkpoints",
    "configs",
    "loras",
    "vae",
    "text_encoders",
    "diffusion_models",
    "clip_vision",
    "style_models",
    "embeddings",
    "diffusers",
    "vae_approx",
    "controlnet",
    "gligen",
    "upscale_models",
    "custom_nodes",
    "hypernetworks",
    "photomaker",
    "classifiers",
    "model_patches",
    "audio_encoders",
)

# ComfyUI's legacy folder names: files in models/unet and models/clip show up under the new
# names, but GET /models/unet and /models/clip answer 404.
FOLDER_ALIASES = {"unet": "diffusion_models", "clip": "text_encoders"}

# Default for `fail_value`: any widget input equal to this string makes its node fail at run time.
DEFAULT_FAIL_VALUE = "__comfy_double_fail__"


class DoubleSettings(msgspec.Struct, kw_only=True):
    """Knobs of the double. Mutating a live instance affects the next node that starts."""

    # Model files per folder (GET /models/{folder} and the loader combos in /object_info).
    models: dict[str, list[str]] = msgspec.field(default_factory=dict)
    # Simulated work: seconds per executed node, plus per progress step for progress nodes.
    node_seconds: float = 0.02
    step_seconds: float = 0.01
    # Overrides node_seconds for some class_types (e.g. {"KSampler": 2.0}).
    class_seconds: dict[str, float] = msgspec.field(default_factory=dict)
    # Benchmarks: spread this many seconds over the nodes a prompt really runs (overrides the above).
    job_seconds: float | None = None
    # "none" = ComfyUI's default (no sampler previews); "auto" = a JPEG preview per sampler step.
    preview_method: Literal["none", "auto"] = "none"
    # Forced run-time failures: these class_types fail, and so does any node with an input == fail_value.
    fail_class_types: list[str] = msgspec.field(default_factory=list)
    fail_value: str = DEFAULT_FAIL_VALUE
    fail_message: str = "ComfyDouble forced failure"
    fail_exception_type: str = "RuntimeError"
    # 403 when Origin's host:port differs from a loopback Host, like a real server (capture 19).
    origin_check: bool = True
    # Scale factor of every upscale model (ImageUpscaleWithModel).
    upscale_model_scale: int = 4
    # While True, GET /view holds every answer back (a slow /view: outputs ComfyUI made wait to be fetched).
    hold_views: bool = False

    def __post_init__(self) -> None:
        # Fold legacy names into the real folders and reject typos early.
        merged: dict[str, list[str]] = {}
        for folder, files in self.models.items():
            real = FOLDER_ALIASES.get(folder, folder)
            if real not in MODEL_FOLDERS:
                raise ValueError(f"unknown model folder {folder!r}; known: {', '.join(MODEL_FOLDERS)}")
            merged.setdefault(real, []).extend(files)
        self.models = {folder: sorted(set(files)) for folder, files in merged.items()}

    def set_models(self, folder: str, files: list[str]) -> None:
        """Replace one folder's list on a live instance (accepts the legacy names too)."""
        real = FOLDER_ALIASES.get(folder, folder)
        if real not in MODEL_FOLDERS:
            raise ValueError(f"unknown model folder {folder!r}")
        self.models = {**self.models, real: sorted(set(files))}

    def model_files(self, folder: str) -> list[str]:
        return list(self.models.get(folder, []))

    def seconds_for(self, class_type: str) -> float:
        return self.class_seconds.get(class_type, self.node_seconds)


def parse_model_spec(spec: str) -> tuple[str, list[str]]:
    """`checkpoints=a.safetensors,b.safetensors` -> ("checkpoints", [...])."""
    folder, sep, files = spec.partition("=")
    if not sep or not folder:
        raise ValueError(f"expected FOLDER=file1,file2 but got {spec!r}")
    return folder.strip(), [f.strip() for f in files.split(",") if f.strip()]
