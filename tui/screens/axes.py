"""The sweep dialog over the new-job form: up to three axes, one per line, as NAME=V1,V2,..."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from client.axes import MAX_AXES, parse_axes
from client.errors import ClientError
from server.workflows.schemas import WorkflowInfo

Axes = dict[str, list[Any]]


class AxesScreen(ModalScreen[Axes | None]):
    BINDINGS = [
        Binding("ctrl+s", "sweep", "Sweep"),
        Binding("escape", "dismiss(None)", "Close"),
    ]

    def __init__(self, workflow: WorkflowInfo) -> None:
        super().__init__()
        self.workflow = workflow

    def compose(self) -> ComposeResult:
        names = ", ".join(param.name for param in self.workflow.params)
        with Vertical(id="axes-dialog"):
            yield Static(
                f"Sweep: one job per combination. Up to {MAX_AXES} axes, one per line, as NAME=V1,V2,... "
                f"(e.g. cfg=4,6,8); the form's values fill in the rest.\n[dim]Parameters: {names}[/dim]",
                id="axes-about",
            )
            yield TextArea(id="axes", compact=True)
            yield Static(id="axes-error")
            with Horizontal(id="axes-buttons"):
                yield Button("Sweep (ctrl+s)", variant="primary", id="sweep", compact=True)
                yield Button("Close (esc)", id="close", compact=True)

    @on(Button.Pressed, "#sweep")
    def action_sweep(self) -> None:
        lines = [line for line in self.query_one("#axes", TextArea).text.splitlines() if line.strip()]
        try:
            axes = parse_axes(lines)
        except ClientError as exc:
            self._refuse(str(exc))
            return
        known = {param.name for param in self.workflow.params}
        if unknown := [name for name in axes if name not in known]:
            self._refuse(f"{self.workflow.name} has no parameter {unknown[0]!r}.")
            return
        self.dismiss(axes)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    def _refuse(self, why: str) -> None:
        error = self.query_one("#axes-error", Static)
        error.update(why)
        error.display = True
