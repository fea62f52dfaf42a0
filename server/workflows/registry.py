"""The loaded workflows, looked up by name."""

from __future__ import annotations

from pathlib import Path

from server.errors import BadRequest, FieldError
from server.workflows.loader import load_workflows
from server.workflows.manifest import Workflow


class WorkflowRegistry:
    def __init__(self, workflows: dict[str, Workflow]) -> None:
        self._workflows = workflows

    @classmethod
    def from_folder(cls, folder: Path) -> WorkflowRegistry:
        return cls(load_workflows(folder))

    def __iter__(self):
        return iter(self._workflows.values())

    def find(self, name: str) -> Workflow | None:
        return self._workflows.get(name)

    def get(self, name: str) -> Workflow:
        """The workflow named `name`, or a 400 that lists the ones there are."""
        workflow = self._workflows.get(name)
        if workflow is None:
            available = ", ".join(self._workflows) or "none (the workflows folder is empty)"
            raise BadRequest.from_fields([FieldError("workflow", f"unknown workflow {name!r}; available: {available}")])
        return workflow
