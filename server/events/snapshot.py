"""What a client is sent on connect: jobs and totals as stored, read after the seqs they reflect."""

from __future__ import annotations

import uuid

from piccolo.query.functions.aggregate import Count

from server.db.tables import Job as JobRow
from server.events.bus import EventBus
from server.events.schemas import JobSnapshot, QueueSnapshot
from server.jobs import repository
from server.jobs.schemas import ACTIVE_STATUSES, Job, Status

# Active jobs listed on /ws/events connect; the totals still count every one.
SNAPSHOT_JOBS = 500
_LIVE = JobRow.is_deleted == False  # noqa: E712 - Piccolo builds SQL from the comparison


async def job_snapshot(bus: EventBus, job_id: uuid.UUID) -> JobSnapshot | None:
    # The seq first, then the row: every event the seq covers is already in the row.
    [seq] = await bus.current_seqs([job_id])
    job = await repository.get(job_id)
    return JobSnapshot(job=job, seq=seq) if job else None


async def queue_snapshot(bus: EventBus, statuses: tuple[Status, ...], workflow: str | None) -> QueueSnapshot:
    ids_query = JobRow.select(JobRow.id, JobRow.status).where(_LIVE & JobRow.status.is_in(list(ACTIVE_STATUSES)))
    if statuses:
        ids_query = ids_query.where(JobRow.status.is_in(list(statuses)))
    if workflow:
        ids_query = ids_query.where(JobRow.workflow == workflow)
    # Running jobs first ("processing" < "queued"), then the queue in the order it runs.
    rows = await ids_query.order_by(JobRow.status, JobRow.created_at).limit(SNAPSHOT_JOBS)
    ids = [row["id"] for row in rows]
    seqs = await bus.current_seqs(ids)
    jobs = {job.id: job for job in await _jobs(ids)}
    queued, processing = await active_totals()
    return QueueSnapshot(
        jobs=[JobSnapshot(job=jobs[job_id], seq=seq) for job_id, seq in zip(ids, seqs) if job_id in jobs],
        queued=queued,
        processing=processing,
    )


async def active_totals() -> tuple[int, int]:
    """(queued, processing) over every live job."""
    rows = await (
        JobRow.select(JobRow.status, Count())
        .where(_LIVE & JobRow.status.is_in(list(ACTIVE_STATUSES)))
        .group_by(JobRow.status)
    )
    counts = {row["status"]: row["count"] for row in rows}
    return counts.get("queued", 0), counts.get("processing", 0)


async def _jobs(ids: list[uuid.UUID]) -> list[Job]:
    if not ids:
        return []
    rows = await JobRow.select().where(JobRow.id.is_in(ids)).output(load_json=True)
    return [repository.to_job(row) for row in rows]
