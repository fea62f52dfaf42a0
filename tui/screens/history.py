"""Every job, newest first, a page at a time; filters, search, favorite, delete, remix."""

from __future__ import annotations

import uuid

import msgspec
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Static

from client.errors import ClientError
from server.events.schemas import (
    JobCancelled,
    JobCreated,
    JobDeleted,
    JobFailed,
    JobFinished,
    JobStatus,
    JobUpdated,
    Message,
    QueueSnapshot,
)
from server.jobs.schemas import Job, JobFilters
from tui.screens.base import MainScreen
from tui.widgets.history.filters import FilterBar
from tui.widgets.history.table import HistoryTable

# Rows per request: a screenful or two, so the next page is in before the cursor gets there.
PAGE = 100
# New jobs join the table at most this often (seconds).
ARRIVALS_EVERY = 0.2


class HistoryScreen(MainScreen):
    PLACE = "History"
    BINDINGS = [
        Binding("f", "favorite", "Favorite"),
        Binding("d", "delete", "Delete"),
        Binding("r", "remix", "Remix"),
        Binding("n", "new_job", "New"),
        Binding("w", "sweep", "Sweep"),
        Binding("ctrl+r", "reload", "Reload"),
        Binding("slash", "search", "Search", show=False),
        Binding("escape", "focus_table", "Table", show=False),
    ]
    AUTO_FOCUS = "#jobs"

    filters: reactive[JobFilters] = reactive(JobFilters, init=False)

    def __init__(self) -> None:
        super().__init__()
        self._loading = False
        # The last page or the workflows could not be loaded (Studio away): asked again when the
        # live feed is back.
        self._page_failed = False
        self._workflows_failed = False
        # Jobs that came to match the filters, waiting to join the table.
        self._arrivals: dict[uuid.UUID, Job] = {}

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        yield FilterBar(id="filters")
        yield HistoryTable(id="jobs")
        yield Static(id="paging")
        yield Footer()

    def on_mount(self) -> None:
        self.studio.live_events.subscribe(self, self._on_live)
        self.load_workflows()
        self.action_reload()

    @property
    def table(self) -> HistoryTable:
        return self.query_one(HistoryTable)

    # --- loading -----------------------------------------------------------------------------

    def watch_filters(self) -> None:
        self.action_reload()

    def on_filter_bar_changed(self, event: FilterBar.Changed) -> None:
        self.filters = event.filters

    def on_history_table_needs_more(self, _: HistoryTable.NeedsMore) -> None:
        if not self._loading and self.table.next_cursor:
            self.load_page(self.table.next_cursor)

    def action_reload(self) -> None:
        self._arrivals.clear()  # the fresh pages hold them
        self.table.restart()
        self.load_page(None)

    @work(exclusive=True, group="page")
    async def load_page(self, cursor: str | None) -> None:
        filters = self.filters
        self._loading, self._page_failed = True, False
        self._show_paging()
        try:
            page = await self.studio.api.jobs(filters, cursor=cursor, limit=PAGE)
        except ClientError as exc:
            page = None
            self.notify(str(exc), title="Could not load the history", severity="error")
        self._loading, self._page_failed = False, page is None
        if page is not None and filters == self.filters:  # else a newer query is on its way
            self.table.add_page(page.items, page.next_cursor)
        self._show_paging()

    @work(group="workflows")
    async def load_workflows(self) -> None:
        try:
            workflows = await self.studio.api.workflows()
        except ClientError as exc:
            self._workflows_failed = True
            self.notify(str(exc), title="Could not list the workflows", severity="error")
            return
        self._workflows_failed = False
        self.query_one(FilterBar).set_workflows([workflow.name for workflow in workflows])

    def _show_paging(self) -> None:
        count = self.table.row_count
        if self._loading:
            text = f"{count:,} jobs · loading…"
        elif self._page_failed:
            text = f"{count:,} jobs · Studio did not answer; loading again when it is back"
        elif self.table.complete:
            text = f"{count:,} jobs" if count else "No jobs match."
        else:
            text = f"{count:,} jobs loaded · more as you scroll"
        self.query_one("#paging", Static).update(text)

    # --- live --------------------------------------------------------------------------------

    def _on_live(self, message: Message) -> None:
        """Listed jobs change in place; jobs that come to match the filters join the list."""
        match message:
            case QueueSnapshot():
                self._reconnected()
            case JobCreated(job=job) | JobFinished(job=job):
                self._arrived(job)
            case JobStatus(job_id=job_id, status=status) | JobFailed(job_id=job_id, status=status) | JobCancelled(
                job_id=job_id, status=status
            ):
                if listed := self.table.jobs.get(str(job_id)):
                    self.table.update_job(msgspec.structs.replace(listed, status=status))
                elif status in self.filters.statuses:
                    # Filtered by this status: the job may be new to the list (the event lacks the job).
                    self.fetch_arrival(job_id)
            case JobUpdated(job_id=job_id, favorite=favorite):
                if listed := self.table.jobs.get(str(job_id)):
                    self.table.update_job(message.applied(listed))
                elif favorite == self.filters.favorite:
                    self.fetch_arrival(job_id)  # it may be new to a list filtered by favorites
            case JobDeleted(job_id=job_id):
                self._arrivals.pop(job_id, None)
                self.table.drop(str(job_id))
                self._show_paging()

    def _reconnected(self) -> None:
        """The live feed is back (Studio restarted, the network returned): load what failed meanwhile."""
        if self._workflows_failed:
            self.load_workflows()
        if self._page_failed:
            self.load_page(self.table.next_cursor)  # the page that failed: the first one, or where paging stopped

    def _arrived(self, job: Job) -> None:
        if str(job.id) in self.table.jobs:
            self.table.update_job(job)
        elif self.filters.admits(job) and self.table.belongs(job):
            if not self._arrivals:
                # Coalesced: a burst of submissions redraws the table once.
                self.set_timer(ARRIVALS_EVERY, self._add_arrivals)
            self._arrivals[job.id] = job

    def _add_arrivals(self) -> None:
        arrivals = [job for job in self._arrivals.values() if self.filters.admits(job)]
        self._arrivals.clear()
        self.table.add_jobs(arrivals)
        self._show_paging()

    @work(group="arrivals")
    async def fetch_arrival(self, job_id: uuid.UUID) -> None:
        try:
            job = await self.studio.api.job(job_id)
        except ClientError:
            return  # deleted meanwhile, or Studio is away: the next reload shows what is there
        self._arrived(job)

    # --- keys --------------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if job := self.table.jobs.get(event.row_key.value or ""):
            self.studio.open_job(job)

    def on_data_table_row_highlighted(self) -> None:
        self.refresh_bindings()  # `w` shows on a job of a sweep

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "sweep" or ((job := self._job()) is not None and job.sweep_id is not None)

    def _job(self) -> Job | None:
        return self.table.highlighted_job

    def action_favorite(self) -> None:
        if job := self._job():
            self.studio.toggle_favorite(job)

    def action_delete(self) -> None:
        if job := self._job():
            self.studio.delete(job)

    def action_remix(self) -> None:
        if job := self._job():
            self.studio.remix(job)

    def action_sweep(self) -> None:
        if job := self._job():
            self.studio.open_sweep(job)

    def action_new_job(self) -> None:
        self.studio.new_job()

    def action_search(self) -> None:
        self.query_one("#search").focus()

    def action_focus_table(self) -> None:
        self.table.focus()
