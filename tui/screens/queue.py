"""The start screen: queued and running jobs, live, with the latest outcomes below; an admin
may narrow both to one owner's jobs."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Select, Static

from server.jobs.schemas import ACTIVE_STATUSES, Job
from tui.screens.base import MainScreen
from tui.widgets.job_table import JobTable
from tui.widgets.owner_select import OwnerSelect
from tui.widgets.queue.tables import ActiveTable, RecentTable, queue_places

# Rows of the active table: running jobs and the head of the queue (the totals count them all).
SHOWN = 100
REDRAW_SECONDS = 0.25


class QueueScreen(MainScreen):
    PLACE = "Queue"
    BINDINGS = [
        Binding("n", "new_job", "New"),
        Binding("c", "cancel", "Cancel"),
        Binding("r", "remix", "Remix"),
    ]
    AUTO_FOCUS = "#active"

    def __init__(self) -> None:
        super().__init__()
        self._dirty = False
        self._shown_at = 0.0
        self._can_cancel = False

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        with Horizontal(id="queue-bar"):
            yield Static(id="totals", classes="section")
            yield OwnerSelect(id="owner")
        yield ActiveTable(id="active")
        yield Static("Latest finished and failed", classes="section")
        yield RecentTable(id="recent")
        yield Footer()

    def on_mount(self) -> None:
        self.studio.live_events.subscribe(self, self._changed)
        # Redrawn at most a few times a second however busy the feed, and each second for the
        # elapsed times; not at all while another screen covers this one.
        self.set_interval(REDRAW_SECONDS, self._tick)
        self.refresh_jobs()

    def on_screen_resume(self) -> None:
        self.refresh_jobs()

    def _changed(self, _: object) -> None:
        self._dirty = True

    def _tick(self) -> None:
        if self.is_current and (self._dirty or time.monotonic() - self._shown_at >= 1):
            self.refresh_jobs()

    def on_select_changed(self, event: Select.Changed) -> None:
        if isinstance(event.select, OwnerSelect):
            self.refresh_jobs()

    def refresh_jobs(self) -> None:
        live = self.studio.live
        owner = self.query_one(OwnerSelect).owner
        active = live.ordered()
        # An owner's jobs keep their places in the whole queue.
        places = queue_places(active)
        if owner is not None:
            active = [entry for entry in active if entry.job.owner == owner]
        self.query_one(ActiveTable).show_queue(active[:SHOWN], places, self.studio.clock())
        self.query_one(RecentTable).show_recent([job for job in live.recent if owner is None or job.owner == owner])
        if not live.queued and not live.processing:
            totals = "Nothing queued or running"
        else:
            totals = f"Running {live.processing} · queued {live.queued}"
            if owner is not None:
                totals += f" · {owner}'s: {len(active)}" + (f", the first {SHOWN} shown" if len(active) > SHOWN else "")
            elif len(active) > SHOWN or live.queued + live.processing > len(active):
                totals += f" · the first {min(SHOWN, len(active))} shown"
        self.query_one("#totals", Static).update(totals)
        self._dirty, self._shown_at = False, time.monotonic()
        self._offer_cancel()

    def _job(self) -> Job | None:
        """The highlighted job of the focused table (the active one when neither has focus)."""
        table = self.focused if isinstance(self.focused, JobTable) else self.query_one(ActiveTable)
        return table.highlighted_job

    # Cancel is offered for a queued or running job only: the footer follows the highlight.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "cancel" or self._can_cancel

    def _offer_cancel(self) -> None:
        can_cancel = (job := self._job()) is not None and job.status in ACTIVE_STATUSES
        if can_cancel != self._can_cancel:
            self._can_cancel = can_cancel
            self.refresh_bindings()

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._offer_cancel()

    def on_descendant_focus(self) -> None:
        self._offer_cancel()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if isinstance(event.data_table, JobTable) and (job := event.data_table.jobs.get(event.row_key.value or "")):
            self.studio.open_job(job)

    def action_new_job(self) -> None:
        self.studio.new_job()

    def action_cancel(self) -> None:
        if job := self._job():
            self.studio.cancel(job)

    def action_remix(self) -> None:
        if job := self._job():
            self.studio.remix(job)
