from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from server.access.guards import admin_only
from server.comfy import ComfyUnavailable
from server.config import Settings
from server.errors import NotFound, error_responses
from server.models.catalog import ModelCatalog
from server.workflows.checker import check_workflow, comfy_choices
from server.workflows.importer import ImportRequest, import_request
from server.workflows.manifest import ChoiceParam, Workflow
from server.workflows.object_info import ObjectInfo
from server.workflows.registry import WorkflowRegistry
from server.workflows.schemas import ParamInfo, WorkflowInfo


class WorkflowController(Controller):
    path = "/api/workflows"
    tags = ["workflows"]

    @get("/", summary="Every workflow with its parameters, and whether the connected ComfyUI can run it")
    async def list_workflows(
        self, workflows: NamedDependency[WorkflowRegistry], models: NamedDependency[ModelCatalog]
    ) -> list[WorkflowInfo]:
        info = await _object_info(models)
        return [workflow_info(workflow, info) for workflow in workflows]

    @post(
        "/",
        summary="Import a ComfyUI graph as a workflow (admins)",
        description="The graph as ComfyUI's Export (API) writes it becomes workflows/NAME/ with a generated manifest "
        "(the prompts, seed, steps, cfg, sampler, scheduler, denoise, models, size and input images found in it, "
        "typed by the connected ComfyUI's /object_info); `expose` names other inputs as NODE.INPUT. Jobs can use it "
        "at once, no restart needed.",
        guards=[admin_only],
        responses=error_responses(400, 403, 409, 503),
    )
    async def import_workflow(
        self, data: JSONBody[ImportRequest], workflows: NamedDependency[WorkflowRegistry], settings: NamedDependency[Settings]
    ) -> WorkflowInfo:
        workflow = await import_request(data, settings)
        workflows.add(workflow)
        return workflow_info(workflow)

    @get("/{name:str}", summary="One workflow with each parameter's schema", responses=error_responses(404))
    async def get_workflow(
        self, name: FromPath[str], workflows: NamedDependency[WorkflowRegistry], models: NamedDependency[ModelCatalog]
    ) -> WorkflowInfo:
        workflow = workflows.find(name)
        if workflow is None:
            raise NotFound(f"No workflow named {name!r}; GET /api/workflows lists them.")
        return workflow_info(workflow, await _object_info(models))


async def _object_info(models: ModelCatalog) -> ObjectInfo | None:
    """The connected ComfyUI's node classes (cached with the model lists); None while it is unreachable."""
    try:
        return await models.object_info()
    except ComfyUnavailable:
        return None


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
