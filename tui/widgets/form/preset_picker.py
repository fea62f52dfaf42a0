"""The new-job form's presets: start from one of the caller's presets, or save what the form holds
as a new one (POST /api/presets). The form does the filling and the saving (job_form.py)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select

from server.presets.schemas import Preset


class PresetPicker(Vertical):
    class Chosen(Message):
        """The user picked a preset: the form takes its workflow, parameters and style."""

        def __init__(self, preset: Preset) -> None:
            super().__init__()
            self.preset = preset

    class SaveAsked(Message):
        """The user asked to save the form as the preset `name`."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, presets: list[Preset]) -> None:
        super().__init__(id="preset-picker")
        self.presets = {preset.name: preset for preset in presets}

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label("Preset", classes="field-label")
            yield Select(self._options(), prompt="none", id="preset", compact=True)
        with Horizontal(classes="field"):
            yield Label("Save as", classes="field-label")
            yield Input(placeholder="a preset name", id="preset-name", compact=True)
            yield Button("Save preset", id="save-preset", compact=True)

    def _options(self) -> list[tuple[str, str]]:
        return [(f"{name} ({preset.workflow})", name) for name, preset in sorted(self.presets.items())]

    @on(Select.Changed, "#preset")
    def _chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and (preset := self.presets.get(event.value)) is not None:
            self.post_message(self.Chosen(preset))

    @on(Button.Pressed, "#save-preset")
    @on(Input.Submitted, "#preset-name")
    def _save(self) -> None:
        if name := self.query_one("#preset-name", Input).value.strip():
            self.post_message(self.SaveAsked(name))
        else:
            self.notify("Type a name for the preset first.", title="Not saved", severity="warning")

    def saved(self, preset: Preset) -> None:
        """A preset just saved: listed, and shown as the one the form holds."""
        self.presets[preset.name] = preset
        select = self.query_one("#preset", Select)
        with self.prevent(Select.Changed):
            select.set_options(self._options())
            select.value = preset.name
        self.query_one("#preset-name", Input).value = ""
