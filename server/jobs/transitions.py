"""Conditional updates that move a job through its lifecycle.

Each is one UPDATE guarded by the state it expects (status, owning worker), so two writers
racing on one job - a cancel and a claim, two workers after a redelivery - cannot both win.
Those a worker runs a job through (claim, take over, finish) return the row as they left it
(UPDATE ... RETURNING), so a job costs no read besides its writes.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

import msgspec
from piccolo.custom_types import Combinable
from piccolo.querystring import QueryString

from server.clock import utc_now
from server.db.tables import Job as JobRow
from server.jobs import fair_queue, repository
from server.jobs.failures import Failure
from server.jobs.schemas import Job, Output, Status, TextOutput


def _lease(seconds: float) -> datetime.datetime:
    return utc_now() + datetime.timedelta(seconds=seconds)


def _expired(seconds_ago: float = 0) -> Combinable:
    return JobRow.lease_expires_at < utc_now() - datetime.timedelta(seconds=seconds_ago)


def _held_by(worker: str) -> Combinable:
    return (JobRow.status == "processing") & (JobRow.worker == worker)


async def _move(job_id: uuid.UUID, changes: dict[Any, Any], condition: Combinable) -> bool:
    return bool(await repository.update_where(job_id, changes, condition=condition))


async def _moved(job_id: uuid.UUID, changes: dict[Any, Any], condition: Combinable) -> Job | None:
    """_move, returning the job as changed."""
    where = (JobRow.id == job_id) & repository.live() & condition
    rows = await JobRow.update(changes).where(where).returning(*JobRow.all_columns())
    return repository.from_row(rows[0]) if rows else None


async def cancel_queued(job_id: uuid.UUID) -> bool:
    return await _move(
        job_id, {JobRow.status: "cancelled", JobRow.finished_at: utc_now(), JobRow.progress: 0}, JobRow.status == "queued"
    )


async def request_cancel(job_id: uuid.UUID) -> bool:
    """Ask the worker running the job to stop it; it answers by ending the job `cancelled`."""
    return await _move(job_id, {JobRow.cancel_requested: True}, JobRow.status == "processing")


async def delete_unless_running(job_id: uuid.UUID) -> bool:
    """Soft-delete a job no worker holds: a claim racing the delete leaves the job running, never
    a deleted job whose worker can no longer store its end."""
    return await _move(job_id, {JobRow.is_deleted: True}, JobRow.status != "processing")


async def mark_enqueued(job_id: uuid.UUID) -> None:
    await _move(job_id, {JobRow.enqueued_at: utc_now()}, JobRow.status == "queued")


async def claim(*, worker: str, lane: str, lease_seconds: float) -> Job | None:
    """The next queued job in fair order (server/jobs/fair_queue.py) -> processing, owned by
    `worker`, as claimed; None when no job is queued."""
    row = await fair_queue.take_next(
        repository.live(),
        {
            JobRow.status: "processing",
            JobRow.worker: worker,
            JobRow.lane: lane,
            JobRow.lease_expires_at: _lease(lease_seconds),
            JobRow.started_at: utc_now(),
            JobRow.attempts: JobRow.attempts + 1,
            JobRow.progress: 10,
            # ComfyUI runs the prompt under the job's id, known only once the UPDATE picked the row.
            JobRow.comfy_prompt_id: QueryString("CAST(id AS TEXT)"),
            JobRow.error: None,
        },
    )
    return repository.from_row(row) if row else None


async def take_over(job_id: uuid.UUID, *, worker: str, lane: str, lease_seconds: float, expired_only: bool) -> Job | None:
    """Adopt a processing job of `lane` whose worker is gone (lease expired, or a restart); the
    job as taken, or None."""
    condition = (JobRow.status == "processing") & (JobRow.lane == lane)
    if expired_only:
        condition &= _expired()
    else:
        # At start-up every job of the lane is a gone process's, but those `worker` claimed since.
        condition &= JobRow.worker != worker
    return await _moved(job_id, {JobRow.worker: worker, JobRow.lease_expires_at: _lease(lease_seconds)}, condition)


async def renew_lease(job_id: uuid.UUID, *, worker: str, lease_seconds: float) -> bool | None:
    """Extend the lease; returns whether a cancel was requested, None if the job is no longer ours."""
    rows = await repository.update_where(
        job_id, {JobRow.lease_expires_at: _lease(lease_seconds)}, condition=_held_by(worker), returning=JobRow.cancel_requested
    )
    return bool(rows[0]["cancel_requested"]) if rows else None


async def cancel_requested(job_id: uuid.UUID) -> bool:
    return bool(await repository.value(job_id, JobRow.cancel_requested))


async def set_progress(job_id: uuid.UUID, *, worker: str, progress: int) -> None:
    await _move(job_id, {JobRow.progress: progress}, _held_by(worker))


async def conclude(
    job_id: uuid.UUID, *, worker: str, status: Literal["failed", "cancelled"], error: str | None = None, failure: Failure | None = None
) -> bool:
    """processing -> failed (with the sentence and the typed failure) | cancelled, only by the
    worker that holds the job."""
    changes = {JobRow.error: error, JobRow.error_details: msgspec.to_builtins(failure)}
    return await _move(job_id, _ended(status, changes), _held_by(worker))


async def finish(job_id: uuid.UUID, *, worker: str, outputs: list[Output], texts: list[TextOutput]) -> Job | None:
    """processing -> finished with the outputs, only by the worker that holds the job; the job
    as finished (what job.finished carries), or None."""
    changes = {JobRow.outputs: msgspec.to_builtins(outputs), JobRow.texts: msgspec.to_builtins(texts), JobRow.progress: 100}
    return await _moved(job_id, _ended("finished", changes), _held_by(worker))


def _ended(status: Status, changes: dict[Any, Any]) -> dict[Any, Any]:
    return {JobRow.status: status, JobRow.finished_at: utc_now(), JobRow.lease_expires_at: None, **changes}


async def requeue(job_id: uuid.UUID, *, worker: str | None) -> bool:
    """processing -> queued, to run again from the start (ComfyUI lost the prompt)."""
    condition = _held_by(worker) if worker is not None else JobRow.status == "processing"
    return await _move(
        job_id,
        {
            JobRow.status: "queued",
            JobRow.worker: None,
            JobRow.lane: None,
            JobRow.lease_expires_at: None,
            JobRow.progress: 0,
            JobRow.enqueued_at: utc_now(),
        },
        condition,
    )


async def processing_on_lane(lane: str, *, expired_only: bool) -> list[uuid.UUID]:
    condition = (JobRow.status == "processing") & (JobRow.lane == lane)
    if expired_only:
        condition &= _expired()
    return await repository.ids_where(condition)


async def orphaned(grace_seconds: float) -> list[uuid.UUID]:
    """Processing jobs whose lease ran out long ago: their lane's worker is not coming back."""
    return await repository.ids_where((JobRow.status == "processing") & _expired(grace_seconds))


async def due_for_resend(older_than_seconds: float) -> list[uuid.UUID]:
    """Queued jobs whose message was sent long ago (or never): the broker may have lost it."""
    cutoff = utc_now() - datetime.timedelta(seconds=older_than_seconds)
    return await repository.ids_where(
        (JobRow.status == "queued") & (JobRow.enqueued_at.is_null() | (JobRow.enqueued_at < cutoff))
    )
