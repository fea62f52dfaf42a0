"""The fields of one workflow: its description, the parameters, the advanced ones folded away."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Static

from server.workflows.schemas import WorkflowInfo
from tui.widgets.form.fields import ParamField, field_for


class WorkflowFields(Vertical):
    def __init__(self, workflow: WorkflowInfo, initial: dict[str, Any], models: dict[str, list[str]]) -> None:
        super().__init__(classes="workflow-fields")
        self.workflow = workflow
        self.fields = [field_for(param, initial.get(param.name), models) for param in workflow.params]

    def compose(self) -> ComposeResult:
        yield Static(self.workflow.description, classes="about")
        yield from (field for field in self.fields if not field.param.advanced)
        if advanced := [field for field in self.fields if field.param.advanced]:
            with Collapsible(title="Advanced"):
                yield from advanced

    def focus_first(self) -> None:
        if self.fields:
            self.fields[0].focus_control()

    def by_name(self) -> dict[str, ParamField]:
        return {field.param.name: field for field in self.fields}

    def take_edits(self, other: WorkflowFields) -> None:
        """What was typed into `other` (the workflow shown before) for parameters this one has too."""
        mine = self.by_name()
        for field in other.fields:
            if (same := mine.get(field.param.name)) is not None and same.same_kind(field) and field.edited():
                same.enter(field.entered())
