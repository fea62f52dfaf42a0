"""The queue screen's two tables: active jobs (live) and the latest outcomes."""

from __future__ import annotations

import datetime
import uuid

from rich.text import Text

from server.jobs.schemas import Job
from tui.format import STATUS_STYLES, elapsed, image_count, plain, progress_bar, status_text, when
from tui.live import ActiveJob
from tui.widgets.job_table import Cells, JobTable

BAR_WIDTH = 12


class ActiveTable(JobTable):
    COLUMNS = (
        ("position", "#", 3),
        ("status", "Status", 10),
        ("progress", "Progress", BAR_WIDTH + 5),
        ("elapsed", "Time", 7),
        ("prompt", "Prompt", None),
    )

    def show_queue(self, entries: list[ActiveJob], places: dict[uuid.UUID, int], now: datetime.datetime) -> None:
        self.show([(entry.job, active_cells(entry, places.get(entry.job.id), now)) for entry in entries])


def queue_places(entries: list[ActiveJob]) -> dict[uuid.UUID, int]:
    """Each queued job's place in the queue (1 runs next), from the entries in running order."""
    queued = [entry.job.id for entry in entries if entry.job.status == "queued"]
    return {job_id: place for place, job_id in enumerate(queued, start=1)}


def active_cells(entry: ActiveJob, position: int | None, now: datetime.datetime) -> Cells:
    job = entry.job
    prompt = plain(job.prompt or job.workflow)
    if entry.detail:
        prompt = Text.assemble((entry.detail, "dim"), " ", prompt)
    # A running job asked to stop stays "processing" until its worker has stopped it.
    status = Text("cancelling", style=f"bold {STATUS_STYLES['cancelled']}") if job.cancel_requested else status_text(job.status)
    return (
        Text(str(position) if position else "▶", justify="right"),
        status,
        progress_bar(job.progress, BAR_WIDTH),
        Text(elapsed(job, now), justify="right"),
        prompt,
    )


class RecentTable(JobTable):
    COLUMNS = (
        ("status", "Status", 10),
        ("finished", "Finished", 16),
        ("images", "Img", 3),
        ("workflow", "Workflow", 14),
        ("prompt", "Prompt", None),
    )

    def show_recent(self, jobs: list[Job]) -> None:
        self.show([(job, recent_cells(job)) for job in jobs])


def recent_cells(job: Job) -> Cells:
    return (
        status_text(job.status),
        when(job.finished_at or job.updated_at),
        Text(image_count(job), justify="right"),
        plain(job.workflow),
        plain(job.prompt),
    )
