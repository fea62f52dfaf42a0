"""Delivery rows: every query of the webhook_deliveries table.

A job's deliveries are made with it, one per event it asked for, in the insert's transaction
(`add_for`), and nothing writes them while the job runs: a delivery is due once its job's row
shows the event happened (an end event: the job ended that way; job.processing: it started).
A process sends a due delivery only after claiming it with one guarded UPDATE, so two never
send it at the same time; a claim lapses at `claimed_until` if its process dies.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import msgspec
from piccolo.custom_types import Combinable

from server.clock import utc_now
from server.db.tables import ApiKey as KeyRow
from server.db.tables import WebhookDelivery as Row
from server.jobs.schemas import TERMINAL_STATUSES as TERMINAL
from server.jobs.schemas import Job
from server.webhooks.schemas import END_EVENTS, Delivery, DeliveryState


class Stored(msgspec.Struct, kw_only=True):
    """A delivery as the dispatcher works on it."""

    id: str
    job_id: uuid.UUID
    event: str
    url: str
    owner: str | None
    body: str | None
    attempts: int
    first_try_at: datetime.datetime | None


class Candidate(msgspec.Struct, frozen=True):
    """An open delivery whose job moved: due, or moot (an end the job did not have, a deleted job)."""

    id: str
    job_id: uuid.UUID
    event: str
    status: str
    started: bool
    deleted: bool
    attempted: bool


def _open() -> Combinable:
    return Row.delivered_at.is_null() & Row.failed_at.is_null()


async def add_for(jobs: list[Job]) -> None:
    """The deliveries of the new jobs that have a webhook (none: no query)."""
    now = utc_now()
    rows = [
        Row(id=f"msg_{uuid.uuid4().hex}", job_id=job.id, event=event, url=job.webhook.url, owner=job.owner, created_at=now)
        for job in jobs
        if job.webhook is not None
        for event in dict.fromkeys(job.webhook.events)
    ]
    if rows:
        await Row.insert(*rows)


async def candidates(limit: int) -> list[Candidate]:
    """Open deliveries, not held by a process and not waiting for a retry, whose job has started,
    ended or gone: the dispatcher's look (the open-deliveries index keeps it cheap)."""
    now = utc_now()
    rows = await Row.raw(
        "SELECT d.id, d.job_id, d.event, j.status, j.started_at IS NOT NULL AS started, j.is_deleted AS deleted, "
        "d.body IS NOT NULL AS attempted "
        "FROM webhook_deliveries d JOIN jobs j ON j.id = d.job_id "
        "WHERE d.delivered_at IS NULL AND d.failed_at IS NULL "
        "AND (d.next_try_at IS NULL OR d.next_try_at <= {}) AND (d.claimed_until IS NULL OR d.claimed_until < {}) "
        "AND (j.status IN ('finished', 'failed', 'cancelled') OR (d.event = 'job.processing' AND j.started_at IS NOT NULL) "
        "OR j.is_deleted = {}) ORDER BY d.created_at LIMIT {}",
        now, now, True, limit,
    )
    return [
        Candidate(r["id"], r["job_id"], r["event"], r["status"], bool(r["started"]), bool(r["deleted"]), bool(r["attempted"]))
        for r in rows
    ]


def is_due(candidate: Candidate) -> bool:
    """Whether the candidate's event happened."""
    if candidate.deleted and not candidate.attempted:
        return False  # the job went before its first attempt: there is nothing to send
    if candidate.event == "job.processing":
        return candidate.started
    return candidate.event == f"job.{candidate.status}"


def is_moot(candidate: Candidate) -> bool:
    """Whether the candidate's event never will happen: an end the job did not have, or the job
    went before its first attempt."""
    if candidate.deleted:
        return not candidate.attempted
    return _never(candidate.event, candidate.status, candidate.started)


async def drop(ids: list[str]) -> None:
    """Remove moot deliveries (not yet attempted, or their job gone)."""
    if ids:
        await Row.delete().where(Row.id.is_in(ids) & _open())


async def claim(ids: list[str], lease_seconds: float) -> list[Stored]:
    """Hold the still-due deliveries among `ids` for this process until the lease ends; those held."""
    now = utc_now()
    rows = await (
        Row.update({Row.claimed_until: now + datetime.timedelta(seconds=lease_seconds)})
        .where(
            Row.id.is_in(ids)
            & _open()
            & (Row.next_try_at.is_null() | (Row.next_try_at <= now))
            & (Row.claimed_until.is_null() | (Row.claimed_until < now))
        )
        .returning(*Row.all_columns())
    )
    return [msgspec.convert(row, Stored, strict=False) for row in rows]


async def delivered(delivery: Stored, body: str, status: int) -> None:
    now = utc_now()
    await Row.update(
        {
            Row.body: body, Row.attempts: Row.attempts + 1, Row.first_try_at: delivery.first_try_at or now,
            Row.last_status: status, Row.last_error: None, Row.delivered_at: now, Row.claimed_until: None,
        }
    ).where(Row.id == delivery.id)


async def attempt_failed(
    delivery: Stored, body: str | None, status: int | None, error: str, next_try_at: datetime.datetime | None
) -> None:
    """Record a failed attempt: try again at `next_try_at`, or (None) give up."""
    now = utc_now()
    changes: dict[Any, Any] = {
        Row.attempts: Row.attempts + 1, Row.first_try_at: delivery.first_try_at or now, Row.last_status: status,
        Row.last_error: error, Row.next_try_at: next_try_at, Row.claimed_until: None,
    }
    if body is not None:
        changes[Row.body] = body
    if next_try_at is None:
        changes[Row.failed_at] = now
    await Row.update(changes).where(Row.id == delivery.id)


async def of_job(job: Job) -> list[Delivery]:
    """The job's deliveries as shown, but those of events it will never have."""
    rows = await Row.select().where(Row.job_id == job.id).order_by(Row.created_at).order_by(Row.event)
    return [_shown(row, job) for row in rows if not _never(row["event"], job.status, job.started_at is not None)]


async def replay(job: Job, delivery_id: str) -> Delivery | None:
    """A delivered or failed delivery of the job due again now (same id; attempts go on, and a
    new retry period starts); None when the job has no such delivery or it is on its way."""
    now = utc_now()
    rows = await (
        Row.update({Row.delivered_at: None, Row.failed_at: None, Row.next_try_at: now, Row.first_try_at: now})
        .where((Row.id == delivery_id) & (Row.job_id == job.id) & (Row.delivered_at.is_not_null() | Row.failed_at.is_not_null()))
        .returning(*Row.all_columns())
    )
    return _shown(rows[0], job) if rows else None


async def exists(job: Job, delivery_id: str) -> bool:
    return await Row.exists().where((Row.id == delivery_id) & (Row.job_id == job.id))


def _never(event: str, status: str, started: bool) -> bool:
    """Whether a job of this status will never have `event`: it ended otherwise, or without starting."""
    if status not in TERMINAL:
        return False
    return not started if event == "job.processing" else event != f"job.{status}"


def _shown(row: dict[str, Any], job: Job) -> Delivery:
    state: DeliveryState
    if row["delivered_at"] is not None:
        state = "delivered"
    elif row["failed_at"] is not None:
        state = "failed"
    else:
        happened = job.started_at is not None if row["event"] == "job.processing" else row["event"] == f"job.{job.status}"
        state = "pending" if happened else "waiting"
    return msgspec.convert({**row, "state": state}, Delivery, strict=False)


async def release(ids: list[str]) -> None:
    """Give back the claims of attempts this process abandoned (it is stopping)."""
    if ids:
        await Row.update({Row.claimed_until: None}).where(Row.id.is_in(ids) & _open())


async def key_secret(name: str) -> str | None:
    """The signing secret of the key named `name` made last (a revoked key's jobs keep theirs)."""
    row = await KeyRow.select(KeyRow.webhook_secret).where(KeyRow.name == name).order_by(KeyRow.created_at, ascending=False).first()
    return row["webhook_secret"] if row else None
