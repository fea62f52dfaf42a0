"""Conditional updates that move a job through its lifecycle.

Each is one UPDATE guarded by the state it expects (status, owning worker), so two writers
racing on one job - a cancel and a claim, two workers after a redelivery - cannot both win.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import msgspec

from server.db.tables import Job as JobRow
from server.db.tables import utc_now
from server.jobs.repository import update_where
from server.jobs.schemas import Output, TextOutput

_RUNNING = ("processing",)


def _lease(seconds: float) -> datetime.datetime:
    return utc_now() + datetime.timedelta(seconds=seconds)


async def cancel_queued(job_id: uuid.UUID) -> bool:
    return await update_where(
        job_id, {JobRow.status: "cancelled", JobRow.finished_at: utc_now(), JobRow.progress: 0}, statuses=("queued",)
    )


async def request_cancel(job_id: uuid.UUID) -> bool:
    """Ask the worker running the job to stop it; it answers by ending the job `cancelled`."""
    return await update_where(job_id, {JobRow.cancel_requested: True}, statuses=_RUNNING)


async def mark_enqueued(job_id: uuid.UUID) -> None:
    await update_where(job_id, {JobRow.enqueued_at: utc_now()}, statuses=("queued",))


async def claim(job_id: uuid.UUID, *, worker: str, lane: str, lease_seconds: float) -> bool:
    """queued -> processing, owned by `worker`. False when someone else got it or it was cancelled."""
    now = utc_now()
    return await update_where(
        job_id,
        {
            JobRow.status: "processing",
            JobRow.worker: worker,
            JobRow.lane: lane,
            JobRow.lease_expires_at: _lease(lease_seconds),
            JobRow.started_at: now,
            JobRow.attempts: JobRow.attempts + 1,
            JobRow.progress: 10,
            JobRow.comfy_prompt_id: str(job_id),
            JobRow.error: None,
        },
        statuses=("queued",),
    )


async def take_over(job_id: uuid.UUID, *, worker: str, lane: str, lease_seconds: float, expired_only: bool) -> bool:
    """Adopt a processing job of `lane` whose worker is gone (lease expired, or a restart)."""
    condition = (JobRow.id == job_id) & (JobRow.status == "processing") & (JobRow.lane == lane)
    if expired_only:
        condition &= JobRow.lease_expires_at < utc_now()
    changed = await JobRow.update(
        {JobRow.worker: worker, JobRow.lease_expires_at: _lease(lease_seconds)}
    ).where(condition).returning(JobRow.id)
    return bool(changed)


async def renew_lease(job_id: uuid.UUID, *, worker: str, lease_seconds: float) -> bool | None:
    """Extend the lease; returns whether a cancel was requested, None if the job is no longer ours."""
    rows = await JobRow.update({JobRow.lease_expires_at: _lease(lease_seconds)}).where(
        (JobRow.id == job_id) & (JobRow.status == "processing") & (JobRow.worker == worker)
    ).returning(JobRow.cancel_requested)
    return bool(rows[0]["cancel_requested"]) if rows else None


async def cancel_requested(job_id: uuid.UUID) -> bool:
    row = await JobRow.select(JobRow.cancel_requested).where(JobRow.id == job_id).first()
    return bool(row and row["cancel_requested"])


async def set_progress(job_id: uuid.UUID, *, worker: str, progress: int) -> None:
    await JobRow.update({JobRow.progress: progress}).where(
        (JobRow.id == job_id) & (JobRow.status == "processing") & (JobRow.worker == worker)
    )


async def conclude(job_id: uuid.UUID, *, worker: str, status: str, **fields: Any) -> bool:
    """processing -> finished | failed | cancelled, only by the worker that holds the job."""
    values: dict[Any, Any] = {
        JobRow.status: status,
        JobRow.finished_at: utc_now(),
        JobRow.lease_expires_at: None,
        **{getattr(JobRow, name): value for name, value in fields.items()},
    }
    if status == "finished":
        values[JobRow.progress] = 100
    changed = await JobRow.update(values).where(
        (JobRow.id == job_id) & (JobRow.status == "processing") & (JobRow.worker == worker)
    ).returning(JobRow.id)
    return bool(changed)


async def finish(job_id: uuid.UUID, *, worker: str, outputs: list[Output], texts: list[TextOutput]) -> bool:
    return await conclude(
        job_id, worker=worker, status="finished", outputs=msgspec.to_builtins(outputs), texts=msgspec.to_builtins(texts)
    )


async def requeue(job_id: uuid.UUID, *, worker: str | None) -> bool:
    """processing -> queued, to run again from the start (ComfyUI lost the prompt)."""
    condition = (JobRow.id == job_id) & (JobRow.status == "processing")
    if worker is not None:
        condition &= JobRow.worker == worker
    changed = await JobRow.update(
        {
            JobRow.status: "queued",
            JobRow.worker: None,
            JobRow.lane: None,
            JobRow.lease_expires_at: None,
            JobRow.progress: 0,
            JobRow.enqueued_at: utc_now(),
        }
    ).where(condition).returning(JobRow.id)
    return bool(changed)


async def processing_on_lane(lane: str, *, expired_only: bool) -> list[uuid.UUID]:
    condition = (JobRow.status == "processing") & (JobRow.lane == lane) & (JobRow.is_deleted == False)  # noqa: E712
    if expired_only:
        condition &= JobRow.lease_expires_at < utc_now()
    return [row["id"] for row in await JobRow.select(JobRow.id).where(condition).order_by(JobRow.created_at)]


async def orphaned(grace_seconds: float) -> list[uuid.UUID]:
    """Processing jobs whose lease ran out long ago: their lane's worker is not coming back."""
    cutoff = utc_now() - datetime.timedelta(seconds=grace_seconds)
    rows = await JobRow.select(JobRow.id).where(
        (JobRow.status == "processing") & (JobRow.lease_expires_at < cutoff)
    )
    return [row["id"] for row in rows]


async def due_for_resend(older_than_seconds: float) -> list[uuid.UUID]:
    """Queued jobs whose message was sent long ago (or never): the broker may have lost it."""
    cutoff = utc_now() - datetime.timedelta(seconds=older_than_seconds)
    rows = await JobRow.select(JobRow.id).where(
        (JobRow.status == "queued")
        & (JobRow.is_deleted == False)  # noqa: E712
        & ((JobRow.enqueued_at.is_null()) | (JobRow.enqueued_at < cutoff))
    ).order_by(JobRow.created_at)
    return [row["id"] for row in rows]
