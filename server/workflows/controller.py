from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from server.errors import NotFound, error_responses
from server.workflows.registry import WorkflowRegistry
from server.workflows.schemas import WorkflowInfo, workflow_info


class WorkflowController(Controller):
    path = "/api/workflows"
    tags = ["workflows"]

    @get("/", summary="Every workflow with its parameters")
    async def list_workflows(self, workflows: NamedDependency[WorkflowRegistry]) -> list[WorkflowInfo]:
        return [workflow_info(workflow) for workflow in workflows]

    @get("/{name:str}", summary="One workflow with each parameter's schema", responses=error_responses(404))
    async def get_workflow(self, name: FromPath[str], workflows: NamedDependency[WorkflowRegistry]) -> WorkflowInfo:
        workflow = workflows.find(name)
        if workflow is None:
            raise NotFound(f"No workflow named {name!r}; GET /api/workflows lists them.")
        return workflow_info(workflow)
