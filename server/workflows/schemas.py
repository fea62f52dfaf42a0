"""Wire types of the workflows API: each parameter's schema for forms and clients."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import OpenAPIType

from server.workflows.manifest import ParamType, Workflow

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


_BINDING_FIELDS = {"bind", "width", "height"}


def workflow_info(workflow: Workflow) -> WorkflowInfo:
    params = []
    for name, param in workflow.manifest.params.items():
        fields = {k: v for k, v in msgspec.to_builtins(param).items() if k not in _BINDING_FIELDS}
        params.append(msgspec.convert({"name": name, **fields}, ParamInfo))
    manifest = workflow.manifest
    return WorkflowInfo(name=workflow.name, title=manifest.title, description=manifest.description, params=params)
