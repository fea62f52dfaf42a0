"""New job and remix: a workflow, then one field per parameter; submit opens the live job."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Label, Select

from server.client.errors import ClientError
from server.jobs.schemas import Job
from server.workflows.schemas import WorkflowInfo
from tui.screens.base import StudioScreen
from tui.screens.detail import JobDetailScreen
from tui.widgets.form.fields import KEEP, Invalid
from tui.widgets.form.workflow_fields import WorkflowFields
from tui.widgets.top_bar import TopBar


def initial_values(workflow: WorkflowInfo, job: Job | None) -> dict[str, Any]:
    """Defaults, or for a remix the job's parameters with the seed it really used."""
    values = {param.name: param.default for param in workflow.params}
    if job is not None and job.workflow == workflow.name:
        values.update({name: value for name, value in job.params.items() if name in values})
        if "seed" in values and job.seed is not None:
            values["seed"] = job.seed
    return values


class JobFormScreen(StudioScreen[None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit"),
        Binding("escape", "app.pop_screen", "Close"),
    ]

    def __init__(self, *, remix_of: Job | None = None) -> None:
        super().__init__()
        self.remix_of = remix_of
        self.workflows: dict[str, WorkflowInfo] = {}
        self.models: dict[str, list[str]] = {}
        self._fields: dict[str, WorkflowFields] = {}

    def compose(self) -> ComposeResult:
        yield TopBar(f"Remix of {self.remix_of.id}" if self.remix_of else "New job")
        with VerticalScroll(id="form"):
            with Horizontal(classes="field"):
                yield Label("Workflow", classes="field-label")
                # A remix keeps its workflow: the parameters it carries over belong to it.
                yield Select[str]([], prompt="loading…", id="workflow", compact=True, disabled=self.remix_of is not None)
            yield Vertical(id="workflow-fields")
            with Horizontal(id="buttons"):
                yield Button("Submit (ctrl+s)", variant="primary", id="submit", compact=True)
                yield Button("Close (esc)", id="close", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        try:
            workflows = await self.studio.api.workflows()
        except ClientError as exc:
            self.notify(str(exc), title="Could not list the workflows", severity="error")
            return
        try:
            self.models = await self.studio.api.models()
        except ClientError as exc:
            # Still usable: model fields offer the current value only.
            self.notify(str(exc), title="No model lists", severity="warning")
        self.workflows = {workflow.name: workflow for workflow in workflows}
        chosen = self.remix_of.workflow if self.remix_of else self._last_used()
        picker = self.query_one("#workflow", Select)
        picker.set_options((f"{workflow.title} ({workflow.name})", workflow.name) for workflow in workflows)
        if chosen in self.workflows:
            picker.value = chosen
        elif chosen is not None:
            self.notify(f"Studio has no workflow {chosen!r} any more.", severity="error")
        else:
            self.notify("Studio has no workflows: add a folder under its workflows directory.", severity="error")

    def _last_used(self) -> str | None:
        """The workflow of the latest outcome, else the first one."""
        recent = [job.workflow for job in self.studio.live.recent if job.workflow in self.workflows]
        return recent[0] if recent else next(iter(self.workflows), None)

    @on(Select.Changed, "#workflow")
    async def _workflow_chosen(self, event: Select.Changed) -> None:
        """Show the workflow's fields; each workflow keeps its own, so switching back loses nothing."""
        workflow = self.workflows.get(event.value) if isinstance(event.value, str) else None
        if workflow is None:
            return
        for shown in self._fields.values():
            shown.display = False
        if (fields := self._fields.get(workflow.name)) is None:
            fields = self._fields[workflow.name] = WorkflowFields(workflow, initial_values(workflow, self.remix_of), self.models)
            await self.query_one("#workflow-fields").mount(fields)
        fields.display = True
        fields.focus_first()

    @property
    def current(self) -> WorkflowFields | None:
        workflow = self.query_one("#workflow", Select).value
        return self._fields.get(workflow) if isinstance(workflow, str) else None

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.submit()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss()

    @work(exclusive=True, group="submit")
    async def submit(self) -> None:
        if (fields := self.current) is None:
            return
        try:
            params = await self._params(fields)
            if self.remix_of is not None:
                job = await self.studio.api.remix(self.remix_of.id, params)
            else:
                job = await self.studio.api.submit(fields.workflow.name, params)
        except (Invalid, ClientError) as exc:
            self.notify(str(exc), title="Not submitted", severity="error")
            return
        # Not awaited: switching removes this screen, and with it this worker.
        self.app.switch_screen(JobDetailScreen(job))

    async def _params(self, fields: WorkflowFields) -> dict[str, Any]:
        """The fields' values; local image files are uploaded, in parallel."""
        params: dict[str, Any] = {}
        uploads: dict[str, Path] = {}
        for field in fields.fields:
            value = field.value()
            if isinstance(value, Path):
                uploads[field.param.name] = value
            elif value is not KEEP and value is not None:
                params[field.param.name] = value
        done = await asyncio.gather(*(self.studio.api.upload(path) for path in uploads.values()))
        params.update({name: upload.name for name, upload in zip(uploads, done)})
        return params
