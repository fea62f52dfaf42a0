"""The manifest format: the user-facing parameters of a workflow and where each one goes.

A binding is `"<node id>.<input name>"` in the workflow's API-format graph. The `type` field
picks the parameter kind; each kind validates its own values.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

# Seeds are stored in a signed 64-bit column and random ones stay exact in JSON numbers.
SEED_MAX = 2**63 - 1
RANDOM_SEED_MAX = 2**53 - 1
# `"choices": "comfy"`: a choice's names are those ComfyUI offers for the bound input (samplers,
# schedulers), read from its /object_info, so new ones appear without editing the manifest.
COMFY = "comfy"


class _Param(msgspec.Struct, kw_only=True, tag_field="type", forbid_unknown_fields=True):
    label: str = ""
    description: str = ""
    # Shown behind an "advanced" toggle in clients.
    advanced: bool = False
    bind: list[str] = msgspec.field(default_factory=list)

    def bindings(self) -> list[str]:
        return self.bind


class TextParam(_Param, tag="text"):
    default: str = ""
    required: bool = False
    max_length: int = 10_000


class IntegerParam(_Param, tag="integer"):
    default: int
    min: int | None = None
    max: int | None = None


class NumberParam(_Param, tag="number"):
    default: float
    min: float | None = None
    max: float | None = None


class ChoiceParam(_Param, tag="choice"):
    choices: list[str] | Literal["comfy"]
    default: str

    def from_comfy(self) -> bool:
        return self.choices == COMFY


class SeedParam(_Param, tag="seed"):
    # -1 asks for a random seed, resolved when the job is accepted.
    default: int = -1


class ModelParam(_Param, tag="model"):
    # The ComfyUI model folder the name must exist in (checkpoints, diffusion_models, vae, ...).
    folder: str
    default: str


class AspectRatioParam(_Param, tag="aspect_ratio"):
    presets: dict[str, tuple[int, int]]
    default: str
    width: list[str] = msgspec.field(default_factory=list)
    height: list[str] = msgspec.field(default_factory=list)

    def bindings(self) -> list[str]:
        return [*self.bind, *self.width, *self.height]


class ImageParam(_Param, tag="image"):
    # Value: the `name` returned by POST /api/uploads.
    required: bool = True


Param = (
    TextParam
    | IntegerParam
    | NumberParam
    | ChoiceParam
    | SeedParam
    | ModelParam
    | AspectRatioParam
    | ImageParam
)
ParamType = Literal["text", "integer", "number", "choice", "seed", "model", "aspect_ratio", "image"]


class Manifest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: str
    description: str = ""
    # The API-format graph file beside the manifest.
    graph: str = "workflow.json"
    params: dict[str, Param]
    # false for graphs whose outputs differ between identical runs (non-deterministic nodes): a
    # job of this workflow never takes a finished job's outputs (server/jobs/reuse.py).
    reuse: bool = True


class Workflow(msgspec.Struct, kw_only=True, frozen=True):
    """A loaded, checked workflow: its name (the folder), manifest and graph."""

    name: str
    manifest: Manifest
    graph: dict[str, Any]
