"""What a client is sent on connect: jobs and totals as stored (output links signed), read after
the seqs they reflect."""

from __future__ import annotations

import uuid

from server.events.bus import EventBus
from server.events.schemas import JobSnapshot, QueueSnapshot
from server.jobs import repository
from server.jobs.schemas import Status

# Active jobs listed on /ws/events connect; the totals still count every one.
SNAPSHOT_JOBS = 500


async def job_snapshot(bus: EventBus, job_id: uuid.UUID, owner: str | None) -> JobSnapshot | None:
    """The job, if it is `owner`'s (any owner's when None)."""
    # The seq first, then the row: every event the seq covers is already in the row.
    [seq] = await bus.current_seqs([job_id])
    job = await repository.get(job_id, owner=owner)
    return JobSnapshot(job=bus.fanout.present(job), seq=seq) if job else None


async def queue_snapshot(bus: EventBus, statuses: tuple[Status, ...], workflow: str | None, owner: str | None) -> QueueSnapshot:
    """The active jobs of `owner` (every owner's when None); the totals count the whole queue,
    so that everyone sees how busy the GPU is."""
    ids = await repository.active_ids(statuses, workflow, limit=SNAPSHOT_JOBS, owner=owner)
    seqs = await bus.current_seqs(ids)
    jobs = {job.id: bus.fanout.present(job) for job in await repository.by_ids(ids)}
    queued, processing = await repository.active_totals()
    return QueueSnapshot(
        jobs=[JobSnapshot(job=jobs[job_id], seq=seq) for job_id, seq in zip(ids, seqs) if job_id in jobs],
        queued=queued,
        processing=processing,
    )
