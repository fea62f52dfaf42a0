"""Job rows: every query the API and the workers run against the jobs table."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from piccolo.columns import BigInt, Integer, Varchar
from piccolo.columns.combination import WhereRaw

from server.db.tables import Job as JobRow
from server.jobs.cursor import Cursor
from server.jobs.schemas import Job, JobFilters

_LIVE = JobRow.is_deleted == False  # noqa: E712 - Piccolo builds SQL from the comparison


def misfit(column_name: str, value: Any) -> str | None:
    """Why `value` does not fit the jobs column `column_name` (longer than a sized text column,
    outside an integer column's range), or None: checked before the insert, which would fail."""
    column = JobRow._meta.get_column_by_name(column_name)
    if isinstance(column, Varchar) and isinstance(value, str) and len(value) > column.length:
        return f"is {len(value)} characters long; the limit is {column.length}"
    if isinstance(column, Integer) and isinstance(value, int):
        bound = 2**63 if isinstance(column, BigInt) else 2**31
        if not -bound <= value < bound:
            return f"must be from {-bound} to {bound - 1}"
    return None


def to_job(row: dict[str, Any]) -> Job:
    return msgspec.convert(row, Job, strict=False)


async def insert(values: dict[str, Any]) -> Job:
    row = JobRow(**values)
    await JobRow.insert(row)
    job = await get(row.id)
    assert job is not None
    return job


async def get(job_id: uuid.UUID) -> Job | None:
    row = await JobRow.select().where((JobRow.id == job_id) & _LIVE).first().output(load_json=True)
    return to_job(row) if row else None


async def page(filters: JobFilters, *, limit: int, cursor: Cursor | None = None, offset: int = 0) -> tuple[list[Job], bool]:
    """Newest first. Returns the rows and whether older rows remain."""
    query = JobRow.select().where(_LIVE)
    if filters.statuses:
        query = query.where(JobRow.status.is_in(list(filters.statuses)))
    if filters.workflow:
        query = query.where(JobRow.workflow == filters.workflow)
    if filters.favorite is not None:
        query = query.where(JobRow.favorite == filters.favorite)
    if filters.owner:
        query = query.where(JobRow.owner == filters.owner)
    if filters.text:
        query = query.where(_prompt_contains(filters.text))
    if cursor:
        # A row-value comparison lets both databases walk the (created_at, id) indexes.
        query = query.where(WhereRaw("(created_at, id) < ({}, {})", cursor.created_at, cursor.id))
    rows = await (
        query.order_by(JobRow.created_at, JobRow.id, ascending=False)
        .limit(limit + 1)
        .offset(offset)
        .output(load_json=True)
    )
    return [to_job(row) for row in rows[:limit]], len(rows) > limit


def _prompt_contains(text: str) -> WhereRaw:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    operator = "ILIKE" if JobRow._meta.db.engine_type == "postgres" else "LIKE"
    return WhereRaw(f"prompt {operator} {{}} ESCAPE '\\'", f"%{escaped}%")


async def update_where(job_id: uuid.UUID, changes: dict[Any, Any], *, statuses: tuple[str, ...] | None = None) -> bool:
    """Apply `changes` if the job exists (and is in one of `statuses`); True when a row changed.

    One conditional UPDATE, so two writers racing on the same job cannot both win.
    """
    condition = (JobRow.id == job_id) & _LIVE
    if statuses:
        condition &= JobRow.status.is_in(list(statuses))
    changed = await JobRow.update(changes).where(condition).returning(JobRow.id)
    return bool(changed)


async def set_favorite(job_id: uuid.UUID, favorite: bool) -> bool:
    return await update_where(job_id, {JobRow.favorite: favorite})


async def soft_delete(job_id: uuid.UUID) -> bool:
    return await update_where(job_id, {JobRow.is_deleted: True})
