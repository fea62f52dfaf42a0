"""Wire types of the workflows API: each parameter's schema for forms and clients."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import OpenAPIType

from server.workflows.manifest import ParamType

# A limit, whole or not. Litestar documents `int | float` as oneOf integer / number, which every
# whole number matches twice (a schema violation); it is a JSON number.
_NUMBER = {"one_of": None, "type": [OpenAPIType.NUMBER, OpenAPIType.NULL]}
Limit = Annotated[int | float | None, msgspec.Meta(extra_json_schema={"extra": _NUMBER})]


class ParamInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    type: ParamType
    label: str = ""
    description: str = ""
    advanced: bool = False
    required: bool = False
    default: Any = None
    min: Limit = None
    max: Limit = None
    max_length: int | None = None
    choices: list[str] | None = None
    # aspect_ratio: preset name -> [width, height]
    presets: dict[str, tuple[int, int]] | None = None
    # model: the ComfyUI model folder the value must exist in
    folder: str | None = None


class WorkflowInfo(msgspec.Struct, kw_only=True):
    name: str
    title: str
    description: str
    params: list[ParamInfo]
    # False when the connected ComfyUI cannot run it (`problems` says why: a node class it lacks,
    # an input or a choice it does not have); null while ComfyUI is unreachable (not checked).
    runnable: bool | None = None
    problems: list[str] = msgspec.field(default_factory=list)
