"""The line above the history: search in prompts, status, workflow, favorites only (and, for an
admin, owner)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Select

from server.jobs.schemas import JobFilters, Status
from tui.format import STATUS_STYLES
from tui.widgets.owner_select import OwnerSelect

# Typing pauses this long before the search runs.
SEARCH_DELAY = 0.3


class FilterBar(Horizontal):
    class Changed(Message):
        def __init__(self, filters: JobFilters) -> None:
            super().__init__()
            self.filters = filters

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search prompts (/)", id="search", compact=True)
        yield Select[Status](
            [(status, status) for status in STATUS_STYLES], prompt="any status", id="status", compact=True
        )
        yield Select[str]([], prompt="any workflow", id="workflow", compact=True)
        yield OwnerSelect(id="owner")
        yield Checkbox("★ only", id="favorites", compact=True)

    def set_workflows(self, names: list[str]) -> None:
        self.query_one("#workflow", Select).set_options((name, name) for name in names)

    @property
    def filters(self) -> JobFilters:
        status = self.query_one("#status", Select).value
        workflow = self.query_one("#workflow", Select).value
        return JobFilters(
            statuses=(status,) if isinstance(status, str) else (),
            workflow=workflow if isinstance(workflow, str) else None,
            favorite=True if self.query_one("#favorites", Checkbox).value else None,
            text=self.query_one("#search", Input).value.strip() or None,
            owner=self.query_one(OwnerSelect).owner,
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._changed)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._changed()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._changed()

    def _changed(self) -> None:
        self.post_message(self.Changed(self.filters))
