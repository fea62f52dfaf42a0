"""Wire types of the workflows API: each parameter's schema for forms and clients."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import OpenAPIType

from server.workflows.checker import check_workflow, comfy_choices
from server.workflows.manifest import ChoiceParam, ParamType, Workflow
from server.workflows.object_info import ObjectInfo

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


_BINDING_FIELDS = {"bind", "width", "height"}


def workflow_info(workflow: Workflow, info: ObjectInfo | None = None) -> WorkflowInfo:
    """`info`: the connected ComfyUI's, to mark the workflow and list ComfyUI's choices; without it
    (ComfyUI unreachable) a `"choices": "comfy"` parameter offers its default alone."""
    params = []
    for name, param in workflow.manifest.params.items():
        fields = {k: v for k, v in msgspec.to_builtins(param).items() if k not in _BINDING_FIELDS}
        if isinstance(param, ChoiceParam) and param.from_comfy():
            fields["choices"] = (comfy_choices(workflow, param, info) if info else None) or [param.default]
        params.append(msgspec.convert({"name": name, **fields}, ParamInfo))
    manifest = workflow.manifest
    listed = WorkflowInfo(name=workflow.name, title=manifest.title, description=manifest.description, params=params)
    if info is not None:
        problems = [p.sentence() for p in check_workflow(workflow, info) if p.severity == "problem"]
        listed.runnable, listed.problems = not problems, problems
    return listed
