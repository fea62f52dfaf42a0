"""Job rows: every query the API, the live feed, retention and the workers run against the jobs table.

Each one sees live rows only (`live()`): a deleted job stays in the table but nobody reads or
moves it any more.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from typing import Any

import msgspec
from piccolo.columns import JSON, BigInt, Column, Integer, Varchar
from piccolo.columns.combination import WhereRaw
from piccolo.columns.defaults.base import Default
from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count
from piccolo.querystring import QueryString

from server.db.tables import Job as JobRow
from server.jobs import failures, fair_queue
from server.jobs.cursor import Cursor
from server.jobs.schemas import ACTIVE_STATUSES, TERMINAL_STATUSES, Job, JobFilters, Status


def live(owner: str | None = None) -> Combinable:
    """The jobs Studio still has (not deleted), of `owner` only when given: part of every query's
    condition. A caller's `scope` is the owner it may see (None: every owner)."""
    condition = JobRow.is_deleted == False  # noqa: E712 - Piccolo builds SQL from the comparison
    return condition if owner is None else condition & (JobRow.owner == owner)


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


def _to_job(row: dict[str, Any]) -> Job:
    # Tolerant of error_details this version does not know: the job still reads.
    return msgspec.convert({**row, "error_details": failures.from_stored(row["error_details"])}, Job, strict=False)


_NAMES = tuple(column._meta.name for column in JobRow._meta.columns)
_IS_JSON = tuple(isinstance(column, JSON) for column in JobRow._meta.columns)
# What an INSERT's RETURNING gives as text: it cannot load JSON like a select's output(load_json=True).
_JSON_COLUMNS = tuple(name for name, is_json in zip(_NAMES, _IS_JSON) if is_json)
_ID = _NAMES.index("id")


@functools.cache
def _insert_sql(rows: int, engine_type: str) -> str:
    """INSERT of `rows` jobs returning every column, placeholders in the engine's style: one flat
    list of values."""
    names = ", ".join(f'"{column._meta.db_column_name}"' for column in JobRow._meta.columns)
    width = len(_NAMES)
    if engine_type == "sqlite":
        tuples = ["(" + ", ".join("?" * width) + ")"] * rows
    else:
        tuples = ["(" + ", ".join(f"${n * width + i + 1}" for i in range(width)) + ")" for n in range(rows)]
    return f"INSERT INTO {JobRow._meta.get_formatted_tablename()} ({names}) VALUES {', '.join(tuples)} RETURNING {names}"


class _Compiled(QueryString):
    """A statement already in its engine's placeholder style. Piccolo's own insert builds a row
    object and a query per job, and its compiler parses a template of thousands of placeholders
    on every call: together half of a submit's CPU time (bench/profiling/jobs.py --phases submit)."""

    def __init__(self, sql: str, args: list[Any]) -> None:
        super().__init__("")
        self._compiled = sql, args

    def compile_string(self, engine_type: str = "postgres") -> tuple[str, list[Any]]:
        return self._compiled


def _column_values(values: dict[str, Any]) -> list[Any]:
    """Every column's value for a new row, in table order: the given one or the column's default."""
    row = []
    for column, name, is_json in zip(JobRow._meta.columns, _NAMES, _IS_JSON):
        value = values[name] if name in values else column.get_default_value()
        if isinstance(value, Default):
            value = value.python()
        if is_json and value is not None and not isinstance(value, str):
            value = msgspec.json.encode(value).decode()
        row.append(value)
    return row


async def insert(values: dict[str, Any]) -> Job:
    """Store a job of these column values; the job as stored."""
    return (await insert_many([values]))[0]


async def insert_many(values: list[dict[str, Any]]) -> list[Job]:
    """Store one job per dict of column values in one INSERT; the jobs as stored, in that order."""
    rows = [_column_values(row) for row in values]
    engine = JobRow._meta.db
    sql = _insert_sql(len(rows), engine.engine_type)
    stored = [dict(row) for row in await engine.run_querystring(_Compiled(sql, [value for row in rows for value in row]))]
    by_id = {row["id"]: row for row in stored}  # RETURNING's order is the database's choice
    return [from_row(by_id[row[_ID]]) for row in rows]


def from_row(row: dict[str, Any]) -> Job:
    """The job of a row an INSERT's or UPDATE's RETURNING gave: its JSON columns still text."""
    return _to_job({**row, **{name: msgspec.json.decode(row[name]) for name in _JSON_COLUMNS if isinstance(row[name], str)}})


async def mark_unsent(job_ids: list[uuid.UUID]) -> None:
    """The queued jobs among `job_ids` were never handed to the workers: the recovery sweep's next
    look sends them (server/jobs/transitions.py due_for_resend)."""
    await JobRow.update({JobRow.enqueued_at: None}).where(JobRow.id.is_in(job_ids) & (JobRow.status == "queued"))


async def get(job_id: uuid.UUID, *, owner: str | None = None) -> Job | None:
    row = await JobRow.select().where((JobRow.id == job_id) & live(owner)).first().output(load_json=True)
    return _to_job(row) if row else None


async def finished_with_key(reuse_key: str, owner: str | None, *, limit: int = 3) -> list[Job]:
    """The newest live finished jobs of exactly `owner` (None: the jobs of no key) with this reuse key."""
    owned = JobRow.owner.is_null() if owner is None else JobRow.owner == owner
    condition = live() & owned & (JobRow.reuse_key == reuse_key) & (JobRow.status == "finished")
    rows = await JobRow.select().where(condition).order_by(JobRow.finished_at, ascending=False).limit(limit).output(load_json=True)
    return [_to_job(row) for row in rows]


async def by_ids(ids: list[uuid.UUID]) -> list[Job]:
    """The live jobs among `ids`, in no particular order."""
    if not ids:
        return []
    rows = await JobRow.select().where(JobRow.id.is_in(ids) & live()).output(load_json=True)
    return [_to_job(row) for row in rows]


async def value(job_id: uuid.UUID, column: Column) -> Any:
    """One column of the job; None when it is gone."""
    row = await JobRow.select(column).where((JobRow.id == job_id) & live()).first()
    return row[column._meta.name] if row else None


async def page(filters: JobFilters, *, limit: int, cursor: Cursor | None = None, offset: int = 0) -> tuple[list[Job], bool]:
    """Newest first. Returns the rows and whether older rows remain."""
    query = JobRow.select().where(live(filters.owner))
    if filters.statuses:
        query = query.where(JobRow.status.is_in(list(filters.statuses)))
    if filters.workflow:
        query = query.where(JobRow.workflow == filters.workflow)
    if filters.favorite is not None:
        query = query.where(JobRow.favorite == filters.favorite)
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
    return [_to_job(row) for row in rows[:limit]], len(rows) > limit


def _prompt_contains(text: str) -> WhereRaw:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    operator = "ILIKE" if JobRow._meta.db.engine_type == "postgres" else "LIKE"
    return WhereRaw(f"prompt {operator} {{}} ESCAPE '\\'", f"%{escaped}%")


async def active_ids(
    statuses: tuple[Status, ...], workflow: str | None, *, limit: int, owner: str | None = None
) -> list[uuid.UUID]:
    """Queued and processing jobs (narrowed to `statuses`, `workflow` and `owner` when given):
    running ones first, oldest first, then the queue in the order it runs (fair_queue.py: its
    order ranks every owner's queued jobs, whichever are shown)."""
    shown = live(owner) if workflow is None else live(owner) & (JobRow.workflow == workflow)
    wanted = statuses or ACTIVE_STATUSES
    ids: list[uuid.UUID] = []
    if "processing" in wanted:
        running = JobRow.select(JobRow.id).where(shown & (JobRow.status == "processing"))
        ids = [row["id"] for row in await running.order_by(JobRow.created_at).limit(limit)]
    if "queued" in wanted and len(ids) < limit:
        ids += await fair_queue.in_order(live(), shown, limit=limit - len(ids))
    return ids


async def active_totals() -> tuple[int, int]:
    """(queued, processing) over every live job."""
    rows = await (
        JobRow.select(JobRow.status, Count())
        .where(live() & JobRow.status.is_in(list(ACTIVE_STATUSES)))
        .group_by(JobRow.status)
    )
    counts = {row["status"]: row["count"] for row in rows}
    return counts.get("queued", 0), counts.get("processing", 0)


async def active_count(owner: str) -> int:
    """The owner's jobs queued or processing."""
    return await JobRow.count().where(live(owner) & JobRow.status.is_in(list(ACTIVE_STATUSES)))


async def submitted_since(owner: str, since: datetime.datetime, *, limit: int) -> list[datetime.datetime]:
    """When the owner's latest jobs (at most `limit`) created after `since` were submitted, newest
    first. Deleted jobs count: a submission stays one whatever became of its job."""
    rows = await (
        JobRow.select(JobRow.created_at)
        .where((JobRow.owner == owner) & (JobRow.created_at > since))
        .order_by(JobRow.created_at, ascending=False)
        .limit(limit)
    )
    return [row["created_at"] for row in rows]


async def run_spans(owner: str, since: datetime.datetime) -> list[tuple[datetime.datetime, datetime.datetime | None]]:
    """(started_at, finished_at or None while running) of the owner's jobs that ran at or after
    `since`, deleted ones too: deleting a job does not give its GPU time back. A job sent back to
    the queue (ComfyUI lost it) keeps its started_at until it is claimed again, but runs nothing
    while it waits: it does not count."""
    rows = await JobRow.select(JobRow.started_at, JobRow.finished_at).where(
        (JobRow.owner == owner)
        & JobRow.started_at.is_not_null()
        & (JobRow.status != "queued")
        & (JobRow.finished_at.is_null() | (JobRow.finished_at >= since))
    )
    return [(row["started_at"], row["finished_at"]) for row in rows]


async def ids_where(condition: Combinable) -> list[uuid.UUID]:
    """The live jobs that meet `condition`, oldest first."""
    rows = await JobRow.select(JobRow.id).where(live() & condition).order_by(JobRow.created_at)
    return [row["id"] for row in rows]


async def ended_before(cutoff: datetime.datetime) -> list[uuid.UUID]:
    """Finished, failed and cancelled jobs that ended before `cutoff`, favorites aside (retention)."""
    return await ids_where(
        JobRow.status.is_in(list(TERMINAL_STATUSES))
        & (JobRow.favorite == False)  # noqa: E712
        & (JobRow.finished_at < cutoff)
    )


async def update_where(
    job_id: uuid.UUID, changes: dict[Any, Any], *, condition: Combinable | None = None, returning: Column = JobRow.id
) -> list[dict[str, Any]]:
    """Apply `changes` if the job exists (and meets `condition`); the `returning` column of the
    row changed, or nothing.

    One conditional UPDATE, so two writers racing on the same job cannot both win.
    """
    where = (JobRow.id == job_id) & live()
    if condition is not None:
        where &= condition
    return await JobRow.update(changes).where(where).returning(returning)


async def set_favorite(job_id: uuid.UUID, favorite: bool) -> bool:
    return bool(await update_where(job_id, {JobRow.favorite: favorite}))


async def soft_delete(job_id: uuid.UUID) -> bool:
    return bool(await update_where(job_id, {JobRow.is_deleted: True}))
