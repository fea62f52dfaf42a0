"""The loaded workflows, looked up by name."""

from __future__ import annotations

import re
from pathlib import Path

from server.errors import BadRequest, FieldError
from server.workflows.loader import MANIFEST_FILE, WorkflowError, load_workflow, load_workflows
from server.workflows.manifest import Workflow

# What a workflow's folder may be called (imports and POST /api/workflows check it).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class WorkflowRegistry:
    def __init__(self, workflows: dict[str, Workflow], folder: Path | None = None) -> None:
        self._workflows = workflows
        self._folder = folder

    @classmethod
    def from_folder(cls, folder: Path) -> WorkflowRegistry:
        return cls(load_workflows(folder), folder)

    def add(self, workflow: Workflow) -> None:
        """A workflow imported while Studio runs (POST /api/workflows)."""
        self._workflows[workflow.name] = workflow

    def __iter__(self):
        return iter(self._workflows.values())

    def find(self, name: str) -> Workflow | None:
        """Also a folder imported since start-up (by another process: the API for a worker), read once."""
        workflow = self._workflows.get(name)
        if workflow is None and self._folder is not None and NAME_PATTERN.fullmatch(name):
            if (self._folder / name / MANIFEST_FILE).is_file():
                try:
                    workflow = self._workflows[name] = load_workflow(self._folder / name)
                except WorkflowError:
                    return None
        return workflow

    def get(self, name: str) -> Workflow:
        """The workflow named `name`, or a 400 that lists the ones there are."""
        workflow = self.find(name)
        if workflow is None:
            available = ", ".join(self._workflows) or "none (the workflows folder is empty)"
            raise BadRequest.from_fields([FieldError("workflow", f"unknown workflow {name!r}; available: {available}")])
        return workflow
