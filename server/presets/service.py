"""Preset use cases: save a job's parameters (or given ones) under a name, list, look up, delete.

A job is never started from a preset here: clients read the preset and submit its workflow and
parameters with their own changes on top (`studio submit --preset`, the TUI's form). The job then
holds every parameter itself, whatever later happens to the preset.
"""

from __future__ import annotations

import re
from typing import Any

from server.access.schemas import Caller
from server.errors import BadRequest, Conflict, FieldError, NotFound, echo
from server.jobs import repository as jobs
from server.presets import repository
from server.presets.schemas import Preset, PresetCreate
from server.styles.registry import StyleRegistry
from server.workflows.params import resolve
from server.workflows.registry import WorkflowRegistry

# A name is typed on command lines and sits in URLs: no slashes, no dot segments, no outer spaces.
_NAME = re.compile(r"\w([\w .+-]*[\w.+-])?")
NAME_RULE = "start with a letter or digit, then letters, digits, spaces and . _ + - (no space at the end)"


class PresetService:
    def __init__(self, workflows: WorkflowRegistry, styles: StyleRegistry) -> None:
        self.workflows = workflows
        self.styles = styles

    async def create(self, request: PresetCreate, caller: Caller) -> Preset:
        """A preset of `caller`'s. 409 when it has one of that name (delete it first)."""
        if not _NAME.fullmatch(request.name):
            raise BadRequest.from_fields([FieldError("name", f"{echo(request.name)}: {NAME_RULE}")])
        workflow, params, style = await self._source(request, caller)
        try:
            return await repository.insert(caller.name, request.name, workflow, params, style)
        except repository.NameTaken:
            raise Conflict(
                f"You have a preset named {request.name!r} already; delete it first (DELETE /api/presets/{request.name})."
            ) from None

    async def _source(self, request: PresetCreate, caller: Caller) -> tuple[str, dict[str, Any], str | None]:
        """The workflow, parameters and style to save: the job's as it was submitted, or the given ones."""
        if (request.job_id is None) == (request.workflow is None):
            raise BadRequest.from_fields([FieldError("body", "give either job_id, or workflow with params")])
        if request.job_id is not None:
            if given := [name for name in ("params", "style") if getattr(request, name) is not None]:
                raise BadRequest.from_fields([FieldError(given[0], "comes from the job; give either job_id, or workflow with params")])
            job = await jobs.get(request.job_id, owner=caller.scope)
            if job is None:  # someone else's job is as absent as a deleted one
                raise NotFound(f"No job with id {request.job_id}.", [FieldError("job_id", "no such job")])
            return job.workflow, job.params, job.style
        workflow = self.workflows.get(request.workflow or "")
        if request.style is not None:
            self.styles.get(request.style)  # a 400 naming the styles there are
        params = request.params or {}
        # Each given parameter must be valid; the ones left out (a prompt, an image) come with the submit.
        left_out = {f"params.{name}" for name in workflow.manifest.params if params.get(name) is None}
        resolved, errors = resolve(workflow, params)
        if errors := [error for error in errors if error.field not in left_out]:
            raise BadRequest.from_fields(errors, resolved.unlisted)
        return workflow.name, params, request.style

    async def list(self, caller: Caller) -> list[Preset]:
        return await repository.of_owner(caller.name)

    async def get(self, name: str, caller: Caller) -> Preset:
        """`caller`'s preset: someone else's is as absent as none (404)."""
        preset = await repository.get(caller.name, name)
        if preset is None:
            raise NotFound(f"You have no preset named {echo(name)}; GET /api/presets lists yours.", [FieldError("name", "no such preset")])
        return preset

    async def delete(self, name: str, caller: Caller) -> None:
        if not await repository.delete(caller.name, name):
            await self.get(name, caller)  # the 404
