"""History rows, loaded a page at a time as the cursor or the scroll nears the end."""

from __future__ import annotations

import datetime
import uuid

from rich.text import Text
from textual.coordinate import Coordinate
from textual.message import Message

from server.jobs.schemas import Job
from tui.format import image_count, plain, status_text, when
from tui.widgets.job_table import Cells, JobTable

# Ask for the next page while this many loaded rows are still below the view or the cursor.
PREFETCH_ROWS = 40


class HistoryTable(JobTable):
    COLUMNS = (
        ("favorite", "★", 1),
        ("status", "Status", 10),
        ("created", "Created", 16),
        ("images", "Img", 3),
        ("workflow", "Workflow", 14),
        ("prompt", "Prompt", None),
    )

    class NeedsMore(Message):
        """The user is near the last loaded row and more pages exist."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # next_cursor of the last page loaded; None once the last page is in.
        self.next_cursor: str | None = None
        self.complete = False

    def restart(self) -> None:
        """Empty, before the first page of a new query."""
        self.show([])
        self.next_cursor, self.complete = None, False

    def add_page(self, jobs: list[Job], next_cursor: str | None) -> None:
        self.append((job, history_cells(job)) for job in jobs)
        self.next_cursor, self.complete = next_cursor, next_cursor is None
        self.call_after_refresh(self.check_more)

    def update_job(self, job: Job) -> None:
        self.put(job, history_cells(job))

    def belongs(self, job: Job) -> bool:
        """Whether an unlisted job goes among the loaded rows now (older ones come with paging)."""
        if self.complete:
            return True  # every matching job is listed: a new one is too
        if not self.jobs:
            return False  # the first page is on its way, and holds it
        oldest = next(reversed(self.jobs.values()))
        return _order(job) > _order(oldest)

    def add_jobs(self, jobs: list[Job]) -> None:
        """Jobs that appeared since the pages were loaded, each in its place, newest first.

        Appended, then sorted in place: rebuilding the table would cost a second per arrival
        with 10 000 rows loaded. The cursor stays on the job it was on.
        """
        selected = self.highlighted_job
        self.append((job, history_cells(job)) for job in jobs)
        self.sort("created", key=lambda cell: cell.order, reverse=True)
        order = sorted(self.jobs, key=lambda key: _order(self.jobs[key]), reverse=True)
        self.jobs = {key: self.jobs[key] for key in order}
        self._cells = {key: self._cells[key] for key in order}
        if selected is not None:
            self.move_cursor(row=self.get_row_index(str(selected.id)), animate=False)

    def check_more(self) -> None:
        if self.complete:
            return
        below_view = self.row_count - (self.scroll_y + self.size.height)
        below_cursor = self.row_count - self.cursor_row
        if min(below_view, below_cursor) < PREFETCH_ROWS:
            self.post_message(self.NeedsMore())

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.check_more()

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        self.check_more()


def _order(job: Job) -> tuple[datetime.datetime, uuid.UUID]:
    # The server's order: (created_at, id), newest first.
    return job.created_at, job.id


class Created(str):
    """The created column's cell: shows the minute, sorts the way the server does."""

    order: tuple[datetime.datetime, uuid.UUID]

    def __new__(cls, job: Job) -> Created:
        cell = super().__new__(cls, when(job.created_at))
        cell.order = _order(job)
        return cell


def history_cells(job: Job) -> Cells:
    return (
        Text("★", style="bold yellow") if job.favorite else Text(""),
        status_text(job.status),
        Created(job),
        Text(image_count(job), justify="right"),
        plain(job.workflow),
        plain(job.prompt),
    )
