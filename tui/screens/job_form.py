"""New job and remix: a workflow, then one field per parameter; submit opens the live job."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Label, Select, Static, TextArea

from client.errors import ClientError
from server.events.schemas import Message, QueueSnapshot
from server.jobs.schemas import Job
from server.presets.schemas import Preset, PresetCreate
from server.workflows.schemas import WorkflowInfo
from tui.screens.axes import AxesScreen
from tui.screens.base import StudioScreen
from tui.screens.detail import JobDetailScreen
from tui.screens.sweep import SweepScreen
from tui.widgets.form.fields import KEEP, Invalid, TextField
from tui.widgets.form.preset_picker import PresetPicker
from tui.widgets.form.style_picker import StylePicker
from tui.widgets.form.workflow_fields import WorkflowFields
from tui.widgets.top_bar import TopBar


def _entry(workflow: WorkflowInfo) -> str | Text:
    """A workflow the connected ComfyUI cannot run is greyed, with why (it may still be chosen:
    ComfyUI may get the missing node before the job runs)."""
    label = f"{workflow.title} ({workflow.name})"
    if workflow.runnable is not False:
        return label
    return Text.assemble((label, "dim"), (f"  cannot run: {'; '.join(workflow.problems)}", "dim italic"))


def initial_values(workflow: WorkflowInfo, job: Job | None) -> dict[str, Any]:
    """Defaults, or for a remix the job's parameters with the seed it really used."""
    values = {param.name: param.default for param in workflow.params}
    if job is not None and job.workflow == workflow.name:
        values.update({name: value for name, value in job.params.items() if name in values})
        if "seed" in values and job.seed is not None:
            values["seed"] = job.seed
    return values


def preset_values(workflow: WorkflowInfo, preset: Preset) -> dict[str, Any]:
    """Defaults, and the preset's parameters but its images (a job's input image is picked anew)."""
    values = initial_values(workflow, None)
    images = {param.name for param in workflow.params if param.type == "image"}
    values.update({name: value for name, value in preset.params.items() if name in values and name not in images})
    return values


def form_values(fields: WorkflowFields) -> tuple[dict[str, Any], dict[str, Path]]:
    """The fields' values to send, and apart from them the local image files (uploaded on submit)."""
    params: dict[str, Any] = {}
    uploads: dict[str, Path] = {}
    for field in fields.fields:
        value = field.value()
        if isinstance(value, Path):
            uploads[field.param.name] = value
        elif value is not KEEP and value is not None:
            params[field.param.name] = value
    return params, uploads


class JobFormScreen(StudioScreen[None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit"),
        Binding("ctrl+g", "sweep", "Sweep"),
        Binding("escape", "app.pop_screen", "Close"),
    ]

    def __init__(self, *, remix_of: Job | None = None) -> None:
        super().__init__()
        self.remix_of = remix_of
        self.workflows: dict[str, WorkflowInfo] = {}
        self.models: dict[str, list[str]] = {}
        self._fields: dict[str, WorkflowFields] = {}
        self._shown: WorkflowFields | None = None
        # Why there is nothing to submit, until a workflow's fields are shown.
        self._missing = "The workflows are still loading."

    def compose(self) -> ComposeResult:
        yield TopBar(f"Remix of {self.remix_of.id}" if self.remix_of else "New job")
        with VerticalScroll(id="form"):
            # The picker comes when the workflows do: a "loading…" entry would be one more choice.
            with Horizontal(classes="field", id="workflow-row"):
                yield Label("Workflow", classes="field-label")
                yield Static("loading…", id="workflow-note")
            yield Vertical(id="workflow-fields")
            with Horizontal(id="buttons"):
                yield Button("Submit (ctrl+s)", variant="primary", id="submit", compact=True)
                yield Button("Close (esc)", id="close", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.studio.live_events.subscribe(self, self._on_live)
        self.load()

    def _on_live(self, message: Message) -> None:
        if isinstance(message, QueueSnapshot) and not self.workflows:
            self.load()  # Studio is back: the list it could not give before

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        note = self.query_one("#workflow-note", Static)
        try:
            workflows = await self.studio.api.workflows()
        except ClientError as exc:
            self._missing = f"No workflows to choose from: {exc} The list loads by itself when Studio is back."
            note.update("Studio did not answer; loading when it is back")
            self.notify(str(exc), title="Could not list the workflows", severity="error")
            return
        try:
            self.models = await self.studio.api.models()
        except ClientError as exc:
            # Still usable: model fields offer the current value only.
            self.notify(str(exc), title="No model lists", severity="warning")
        try:
            styles = await self.studio.api.styles()
        except ClientError as exc:
            styles = []
            self.notify(str(exc), title="No prompt styles", severity="warning")
        self.workflows = {workflow.name: workflow for workflow in workflows}
        chosen = self.remix_of.workflow if self.remix_of else self._last_used()
        if chosen not in self.workflows:
            self._missing = (
                f"Studio has no workflow {chosen!r} any more."
                if chosen is not None
                else "Studio has no workflows: add a folder under its workflows directory."
            )
            note.update("none" if chosen is None else f"{chosen} (gone from Studio)")
            self.notify(self._missing, severity="error")
            return
        # A remix keeps its workflow: the parameters it carries over belong to it.
        picker = Select[str](
            ((_entry(workflow), workflow.name) for workflow in workflows),
            value=chosen,
            allow_blank=False,
            id="workflow",
            compact=True,
            disabled=self.remix_of is not None,
        )
        await note.remove()
        await self.query_one("#workflow-row").mount(picker)
        if styles or (self.remix_of and self.remix_of.style):
            style = StylePicker(styles, self.remix_of.style if self.remix_of else None)
            await self.query_one("#form").mount(style, before="#workflow-fields")
            self._preview_style()
        if self.remix_of is None:
            await self._mount_presets()

    async def _mount_presets(self) -> None:
        """The caller's presets to start from, and saving the form as one (new jobs: a remix starts from its job)."""
        try:
            presets = await self.studio.api.presets()
        except ClientError as exc:
            self.notify(str(exc), title="No presets", severity="warning")
            return
        await self.query_one("#form").mount(PresetPicker(presets), before="#workflow-row")

    @on(PresetPicker.Chosen)
    async def _preset_chosen(self, event: PresetPicker.Chosen) -> None:
        """The preset's workflow, its fields holding the preset's values (the rest their defaults), and its style."""
        preset = event.preset
        workflow = self.workflows.get(preset.workflow)
        if workflow is None:
            self.notify(f"Studio has no workflow {preset.workflow!r} any more.", title=f"Preset {preset.name}", severity="error")
            return
        fields = WorkflowFields(workflow, preset_values(workflow, preset), self.models)
        await self.query_one("#workflow-fields").mount(fields)
        # Quietly: no edits carried over from the fields shown, no style defaults laid over the preset's values.
        with self.prevent(Select.Changed):
            self.query_one("#workflow", Select).value = workflow.name
            for picker in self.query(StylePicker):
                picker.query_one("#style", Select).value = preset.style or Select.NULL
        if (old := self._fields.pop(workflow.name, None)) is not None:
            await old.remove()
        if self._shown is not None and self._shown is not old:
            self._shown.display = False
        self._fields[workflow.name] = self._shown = fields
        fields.focus_first()
        self._preview_style()

    @on(PresetPicker.SaveAsked)
    def _save_asked(self, event: PresetPicker.SaveAsked) -> None:
        self.save_preset(event.name)

    @work(exclusive=True, group="preset")
    async def save_preset(self, name: str) -> None:
        """The form's workflow, parameters and style as the caller's preset `name` (not its images:
        a job's input image is picked anew)."""
        if (fields := self.current) is None:
            self.notify(self._missing, title="Not saved", severity="warning")
            return
        try:
            params, _ = form_values(fields)
            style = self._style()
            preset = await self.studio.api.save_preset(PresetCreate(name=name, workflow=fields.workflow.name, params=params, style=style))
        except (Invalid, ClientError) as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return
        self.query_one(PresetPicker).saved(preset)
        self.notify("Pick it in the Preset list to start a job from it.", title=f"Saved preset {name!r}")

    def _last_used(self) -> str | None:
        """The workflow of the latest outcome, else the first one."""
        recent = [job.workflow for job in self.studio.live.recent if job.workflow in self.workflows]
        return recent[0] if recent else next(iter(self.workflows), None)

    @on(Select.Changed, "#workflow")
    async def _workflow_chosen(self, event: Select.Changed) -> None:
        """Show the workflow's fields, with what was typed for the same parameters of the one before."""
        workflow = self.workflows.get(event.value) if isinstance(event.value, str) else None
        if workflow is None:
            return
        if (fields := self._fields.get(workflow.name)) is None:
            fields = self._fields[workflow.name] = WorkflowFields(workflow, initial_values(workflow, self.remix_of), self.models)
            await self.query_one("#workflow-fields").mount(fields)
        if self._shown is not None:
            self._shown.display = False
            fields.take_edits(self._shown)
        self._shown = fields
        fields.display = True
        fields.focus_first()
        self._preview_style()

    @on(StylePicker.Chosen)
    def _style_chosen(self, event: StylePicker.Chosen) -> None:
        """The style's defaults (cfg, steps...) into the fields: shown, and changed at will."""
        fields = self._shown.by_name() if self._shown is not None else {}
        for name, value in event.style.params.items():
            if (field := fields.get(name)) is not None:
                field.enter((value if isinstance(value, bool | str) else str(value),))

    @on(TextArea.Changed)
    def _preview_style(self) -> None:
        """The chosen style's preview of what is typed in the prompt fields."""
        if self._shown is None or not (pickers := self.query(StylePicker)):
            return
        texts = {name: field.entered()[0] for name, field in self._shown.by_name().items() if isinstance(field, TextField)}
        pickers.first().show((texts["prompt"], texts.get("negative_prompt", "")) if "prompt" in texts else None)

    def _style(self) -> str | None:
        """The style picked, if the form offers styles."""
        return pickers.first().chosen if (pickers := self.query(StylePicker)) else None

    @property
    def current(self) -> WorkflowFields | None:
        """The fields of the chosen workflow, once they are shown."""
        return self._shown

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.submit()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss()

    @work(exclusive=True, group="submit")
    async def submit(self) -> None:
        if (fields := self.current) is None:
            self.notify(self._missing, title="Not submitted", severity="warning")
            return
        try:
            params = await self._params(fields)
            style = self._style()
            if self.remix_of is not None:
                job = await self.studio.api.remix(self.remix_of.id, params, style)
            else:
                job = await self.studio.api.submit(fields.workflow.name, params, style)
        except (Invalid, ClientError) as exc:
            self.notify(str(exc), title="Not submitted", severity="error")
            return
        # Not awaited: switching removes this screen, and with it this worker.
        self.app.switch_screen(JobDetailScreen(job))

    @work(exclusive=True, group="submit")
    async def action_sweep(self) -> None:
        """A sweep from the form: its values, with the axes asked for in a dialog laid over them."""
        if (fields := self.current) is None:
            self.notify(self._missing, title="Not submitted", severity="warning")
            return
        if (axes := await self.app.push_screen_wait(AxesScreen(fields.workflow))) is None:
            return
        try:
            params = await self._params(fields)
            style = self._style()
            sweep = await self.studio.api.create_sweep(fields.workflow.name, axes, params, style)
        except (Invalid, ClientError) as exc:
            self.notify(str(exc), title="Not submitted", severity="error")
            return
        self.app.switch_screen(SweepScreen(sweep))

    async def _params(self, fields: WorkflowFields) -> dict[str, Any]:
        """The fields' values; local image files are uploaded, in parallel."""
        params, uploads = form_values(fields)
        done = await asyncio.gather(*(self.studio.api.upload(path) for path in uploads.values()))
        params.update({name: upload.name for name, upload in zip(uploads, done)})
        return params
