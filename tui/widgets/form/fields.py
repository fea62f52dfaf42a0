"""One form field per workflow parameter, built from the parameter's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.validation import Integer, Number
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, TextArea

from server.workflows.schemas import ParamInfo


class Invalid(Exception):
    """The field's value cannot be sent; the message names the field."""


class Keep:
    """An image field left empty in a remix: the original job's image is used again."""


KEEP = Keep()


class ParamField(Horizontal):
    """A label and a control; `value()` is what the job gets, or raises Invalid."""

    def __init__(self, param: ParamInfo, initial: Any) -> None:
        super().__init__(classes="field")
        self.param = param
        self.initial = initial
        self.caption = param.label or param.name.replace("_", " ")
        if param.description:
            self.tooltip = param.description

    def compose(self) -> ComposeResult:
        yield Label(self.caption, classes="field-label")
        self._control = self.control()
        yield self._control

    def on_mount(self) -> None:
        # What the controls held before the user came: only edits travel to another workflow.
        self._untouched = self.entered()

    def control(self) -> Widget:
        raise NotImplementedError

    def _widgets(self) -> list[Widget]:
        return [self._control, *self._control.query("*")]

    def focus_control(self) -> None:
        focusable = [widget for widget in self._widgets() if widget.focusable]
        if focusable:
            focusable[0].focus()

    def value(self) -> Any:
        raise NotImplementedError

    # --- what was typed, carried to the same parameter of another workflow ------------------

    def entered(self) -> tuple[Any, ...]:
        """What the controls hold, as the user left them (valid or not)."""
        return tuple(widget.text if isinstance(widget, TextArea) else widget.value for widget in self._valued())

    def edited(self) -> bool:
        return self.entered() != self._untouched

    def same_kind(self, other: ParamField) -> bool:
        """The same parameter in another workflow: its name, type and model folder."""
        return (self.param.name, self.param.type, self.param.folder) == (other.param.name, other.param.type, other.param.folder)

    def enter(self, entered: tuple[Any, ...]) -> None:
        for widget, value in zip(self._valued(), entered):
            if isinstance(widget, TextArea):
                widget.text = value
            else:
                widget.value = value

    def _valued(self) -> list[Widget]:
        return [widget for widget in self._widgets() if isinstance(widget, (Input, TextArea, Select, Checkbox))]


class TextField(ParamField):
    def control(self) -> Widget:
        return TextArea(str(self.initial or ""), soft_wrap=True, compact=True, classes="text-value")

    def value(self) -> str:
        text = self.query_one(TextArea).text.strip()
        if self.param.max_length is not None and len(text) > self.param.max_length:
            raise Invalid(f"{self.caption}: at most {self.param.max_length} characters (got {len(text)}).")
        return text


class NumberField(ParamField):
    def control(self) -> Widget:
        whole = self.param.type == "integer"
        limits = {"minimum": self.param.min, "maximum": self.param.max}
        return Input(
            "" if self.initial is None else str(self.initial),
            type="integer" if whole else "number",
            validators=[Integer(**limits) if whole else Number(**limits)],
            placeholder=_range(self.param),
            compact=True,
        )

    def value(self) -> int | float | None:
        raw = self.query_one(Input).value.strip()
        if not raw:
            return None
        try:
            return int(raw) if self.param.type == "integer" else float(raw)
        except ValueError:
            raise Invalid(f"{self.caption}: {raw!r} is not a {'whole ' if self.param.type == 'integer' else ''}number.") from None


class ChoiceField(ParamField):
    """choice, model and aspect_ratio: one of a list."""

    def __init__(self, param: ParamInfo, initial: Any, options: list[tuple[str, str]]) -> None:
        super().__init__(param, initial)
        # The initial value stays choosable even when the list lacks it (a model ComfyUI no longer has).
        if initial is not None and all(value != initial for _, value in options):
            options = [(str(initial), str(initial)), *options]
        self.options = options

    def control(self) -> Widget:
        return Select(
            self.options, value=self.initial if self.initial is not None else Select.NULL, allow_blank=self.initial is None, compact=True
        )

    def value(self) -> str | None:
        value = self.query_one(Select).value
        return value if isinstance(value, str) else None

    def enter(self, entered: tuple[Any, ...]) -> None:
        # A choice this workflow does not offer (another sampler list) keeps its own default.
        if all(value in (option for _, option in self.options) for value in entered):
            super().enter(entered)


class SeedField(ParamField):
    """A seed to keep, or "random" (-1): a remix keeps the original's seed until told otherwise."""

    def control(self) -> Widget:
        random = self.initial in (None, -1)
        return Horizontal(
            Input("" if random else str(self.initial), type="integer", disabled=random, compact=True),
            Checkbox("random", value=random, compact=True),
            classes="seed",
        )

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.query_one(Input).disabled = event.value

    def value(self) -> int:
        if self.query_one(Checkbox).value:
            return -1
        raw = self.query_one(Input).value.strip()
        try:
            return int(raw)
        except ValueError:
            raise Invalid(f"{self.caption}: give a whole number, or tick random.") from None


class ImageField(ParamField):
    """A local file path, uploaded on submit; empty in a remix keeps the original's image."""

    def control(self) -> Widget:
        placeholder = f"empty keeps {self.initial}" if self.initial else "path to a PNG, JPEG or WebP file"
        return Input(placeholder=placeholder, compact=True)

    def value(self) -> Path | Keep | None:
        raw = self.query_one(Input).value.strip()
        if raw:
            return Path(raw).expanduser()
        return KEEP if self.initial else None


def field_for(param: ParamInfo, initial: Any, models: dict[str, list[str]]) -> ParamField:
    match param.type:
        case "integer" | "number":
            return NumberField(param, initial)
        case "seed":
            return SeedField(param, initial)
        case "image":
            return ImageField(param, initial)
        case "choice":
            return ChoiceField(param, initial, [(choice, choice) for choice in param.choices or []])
        case "model":
            return ChoiceField(param, initial, [(name, name) for name in models.get(param.folder or "", [])])
        case "aspect_ratio":
            presets = param.presets or {}
            return ChoiceField(param, initial, [(f"{name}  {w}×{h}", name) for name, (w, h) in presets.items()])
        case _:  # "text", and types a newer Studio may add: their value is typed in
            return TextField(param, initial)


def _range(param: ParamInfo) -> str:
    if param.min is not None and param.max is not None:
        return f"{param.min} to {param.max}"
    return ""
