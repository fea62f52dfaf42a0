"""The prompt style of a new job: a picker, and a preview of the prompt the style makes of the
one typed (what Studio will send to ComfyUI)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Select, Static

from server.styles.schemas import Style


class StylePicker(Vertical):
    class Chosen(Message):
        """The user picked another style: the form takes its parameter defaults."""

        def __init__(self, style: Style) -> None:
            super().__init__()
            self.style = style

    def __init__(self, styles: list[Style], initial: str | None) -> None:
        super().__init__(id="style-picker")
        self.known = {style.name: style for style in styles}
        # A remix's style that Studio no longer has stays choosable: Studio then says it is gone.
        self.initial = initial
        self._prompts: tuple[str, str] | None = None
        self._last = initial

    def compose(self) -> ComposeResult:
        options = [(f"{style.title} ({style.name})" if style.title else style.name, style.name) for style in self.known.values()]
        if self.initial is not None and self.initial not in self.known:
            options.insert(0, (self.initial, self.initial))
        with Horizontal(classes="field"):
            yield Label("Style", classes="field-label")
            yield Select(options, value=self.initial or Select.NULL, prompt="none", id="style", compact=True)
        yield Static("", id="style-preview", classes="about", markup=False)

    @property
    def chosen(self) -> str | None:
        value = self.query_one("#style", Select).value
        return value if isinstance(value, str) else None

    def show(self, prompts: tuple[str, str] | None) -> None:
        """Preview the chosen style on (prompt, negative prompt); None: the workflow has no prompt."""
        self._prompts = prompts
        self.query_one("#style-preview", Static).update(self._preview())

    @on(Select.Changed, "#style")
    def _changed(self) -> None:
        self.query_one("#style-preview", Static).update(self._preview())
        if self.chosen != self._last:  # not the remix's own style as the picker opens
            self._last = self.chosen
            if (style := self.known.get(self.chosen or "")) is not None:
                self.post_message(self.Chosen(style))

    def _preview(self) -> str:
        style = self.known.get(self.chosen or "")
        if style is None:
            return ""
        if self._prompts is None:
            return "This workflow has no prompt to style."
        prompt, negative = self._prompts
        lines = [f"Sent: {style.positive_prompt(prompt.strip()) if prompt.strip() else '(type a prompt)'}"]
        if final_negative := style.negative_prompt(negative):
            lines.append(f"Negative: {final_negative}")
        if style.params:
            lines.append("Defaults: " + ", ".join(f"{name} {value}" for name, value in style.params.items()))
        return "\n".join(lines)
