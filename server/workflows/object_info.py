"""What ComfyUI says its node classes take (`GET /object_info`), typed: read from a live ComfyUI
or from a file saved from one (`curl http://127.0.0.1:8188/object_info > object_info.json`).

An input's spec is `[TYPE, {options}]`: TYPE is "INT", "FLOAT", "STRING", "BOOLEAN", a list of
choices (a combo: samplers, model files), "COMBO" with the choices in `options["options"]`
(newer ComfyUI), or the name of a type passed between nodes ("MODEL", "LATENT", "IMAGE"...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import msgspec

from server.comfy import ComfyClient, ComfyError

InputKind = Literal["INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "LINK"]
Section = Literal["required", "optional", "hidden"]


class InputSpec(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    section: Section
    # LINK: a value another node's output gives (its type in `link_type`), never typed in.
    kind: InputKind
    link_type: str | None = None
    default: Any = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    multiline: bool = False


class NodeClass(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    inputs: dict[str, InputSpec]
    outputs: tuple[str, ...] = ()
    output_node: bool = False
    category: str = ""


class ObjectInfo(msgspec.Struct, kw_only=True, frozen=True):
    classes: dict[str, NodeClass]

    def node(self, class_type: str) -> NodeClass | None:
        return self.classes.get(class_type)


class ObjectInfoError(Exception):
    """The object info cannot be read (a file that is not ComfyUI's /object_info)."""


def parse(raw: Any) -> ObjectInfo:
    """ObjectInfo from the JSON /object_info answers; ObjectInfoError for anything else."""
    if not isinstance(raw, dict) or not all(isinstance(node, dict) for node in raw.values()):
        raise ObjectInfoError("it is not ComfyUI's /object_info: a JSON object of node classes is expected")
    return ObjectInfo(classes={name: _node(name, node) for name, node in raw.items()})


def load_file(path: Path) -> ObjectInfo:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ObjectInfoError(f"{path} cannot be read as JSON ({exc})") from None
    try:
        return parse(raw)
    except ObjectInfoError as exc:
        raise ObjectInfoError(f"{path}: {exc}") from None


async def from_comfy(urls: list[str]) -> ObjectInfo:
    """The first of these ComfyUIs that answers; ObjectInfoError naming every URL tried when none does."""
    errors = []
    for url in urls:
        async with ComfyClient(url) as client:
            try:
                return parse(await client.object_info())
            except ComfyError as exc:
                errors.append(f"{url} ({exc})")
    raise ObjectInfoError(
        f"ComfyUI did not answer for /object_info: {', '.join(errors)}; start it, or pass --object-info FILE "
        "(saved with `curl http://HOST:8188/object_info > FILE`)."
    )


def _node(name: str, node: dict[str, Any]) -> NodeClass:
    sections = node.get("input") or {}
    inputs: dict[str, InputSpec] = {}
    for section in ("required", "optional", "hidden"):
        for input_name, spec in (sections.get(section) or {}).items():
            inputs[input_name] = _input(input_name, section, spec)
    return NodeClass(
        name=name,
        inputs=inputs,
        outputs=tuple(str(output) for output in node.get("output") or ()),
        output_node=bool(node.get("output_node")),
        category=str(node.get("category") or ""),
    )


def _input(name: str, section: Section, spec: Any) -> InputSpec:
    kind_or_choices = spec[0] if isinstance(spec, list | tuple) and spec else spec
    options = spec[1] if isinstance(spec, list | tuple) and len(spec) > 1 and isinstance(spec[1], dict) else {}
    common: dict[str, Any] = {"name": name, "section": section, "default": options.get("default")}
    if isinstance(kind_or_choices, list | tuple):
        return InputSpec(**common, kind="COMBO", choices=tuple(str(choice) for choice in kind_or_choices))
    if kind_or_choices == "COMBO":
        return InputSpec(**common, kind="COMBO", choices=tuple(str(choice) for choice in options.get("options") or ()))
    if kind_or_choices in ("INT", "FLOAT"):
        return InputSpec(**common, kind=kind_or_choices, min=options.get("min"), max=options.get("max"), step=options.get("step"))
    if kind_or_choices in ("STRING", "BOOLEAN"):
        return InputSpec(**common, kind=kind_or_choices, multiline=bool(options.get("multiline")))
    return InputSpec(**common, kind="LINK", link_type=str(kind_or_choices))
