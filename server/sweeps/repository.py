"""Sweep rows: every query of the sweeps table, and of the jobs that are a sweep's cells.

Each sweep query sees live rows only (`live()`), of one owner when given: someone else's sweep is
as absent as a deleted one.
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter, defaultdict
from typing import Any

import msgspec
from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable

from server.clock import utc_now
from server.db.tables import Job as JobRow
from server.db.tables import Sweep as SweepRow
from server.jobs.cursor import Cursor
from server.jobs.schemas import TERMINAL_STATUSES, Output, Status
from server.sweeps.schemas import SweepAxis


class StoredSweep(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    owner: str | None
    workflow: str
    params: dict[str, Any]
    style: str | None
    axes: list[SweepAxis]
    total: int
    ended: int
    cancel_requested: bool
    sheet_path: str | None
    created_at: datetime.datetime
    finished_at: datetime.datetime | None


class StoredCell(msgspec.Struct, kw_only=True, frozen=True):
    """A cell's job as the grid shows it. A deleted job keeps its cell: ended (cancelled, had it
    not ended), without outputs."""

    index: int
    job_id: uuid.UUID
    status: Status
    progress: int
    outputs: list[Output]
    error: str | None


def live(owner: str | None = None) -> Combinable:
    """The sweeps Studio still has, of `owner` only when given (a caller's `scope`)."""
    condition = SweepRow.is_deleted == False  # noqa: E712 - Piccolo builds SQL from the comparison
    return condition if owner is None else condition & (SweepRow.owner == owner)


def _to_sweep(row: dict[str, Any]) -> StoredSweep:
    return msgspec.convert(row, StoredSweep, strict=False)


async def insert(values: dict[str, Any]) -> None:
    """Store a sweep of these column values (its id among them)."""
    await SweepRow.insert(SweepRow(**values))


async def get(sweep_id: uuid.UUID, *, owner: str | None = None) -> StoredSweep | None:
    row = await SweepRow.select().where((SweepRow.id == sweep_id) & live(owner)).first().output(load_json=True)
    return _to_sweep(row) if row else None


async def page(*, owner: str | None, limit: int, cursor: Cursor | None) -> tuple[list[StoredSweep], bool]:
    """Newest first; the rows and whether older rows remain."""
    query = SweepRow.select().where(live(owner))
    if cursor:
        query = query.where(WhereRaw("(created_at, id) < ({}, {})", cursor.created_at, cursor.id))
    rows = await query.order_by(SweepRow.created_at, SweepRow.id, ascending=False).limit(limit + 1).output(load_json=True)
    return [_to_sweep(row) for row in rows[:limit]], len(rows) > limit


_CELL_COLUMNS = (JobRow.id, JobRow.sweep_index, JobRow.status, JobRow.progress, JobRow.outputs, JobRow.error, JobRow.is_deleted)


def _shown_status(row: dict[str, Any]) -> Status:
    return "cancelled" if row["is_deleted"] and row["status"] not in TERMINAL_STATUSES else row["status"]


async def cells(sweep_id: uuid.UUID) -> list[StoredCell]:
    """The sweep's cells in grid order."""
    rows = await JobRow.select(*_CELL_COLUMNS).where(JobRow.sweep_id == sweep_id).order_by(JobRow.sweep_index).output(load_json=True)
    return [
        StoredCell(
            index=row["sweep_index"], job_id=row["id"], status=_shown_status(row), progress=row["progress"],
            outputs=[] if row["is_deleted"] else msgspec.convert(row["outputs"], list[Output]), error=row["error"],
        )
        for row in rows
    ]


async def counts(sweep_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """How many cells of each sweep are in each status."""
    if not sweep_ids:
        return {}
    rows = await JobRow.select(JobRow.sweep_id, JobRow.status, JobRow.is_deleted).where(JobRow.sweep_id.is_in(sweep_ids))
    found: defaultdict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    for row in rows:
        found[row["sweep_id"]][_shown_status(row)] += 1
    return {sweep_id: dict(found[sweep_id]) for sweep_id in sweep_ids}


async def request_cancel(sweep_id: uuid.UUID) -> None:
    await SweepRow.update({SweepRow.cancel_requested: True}).where((SweepRow.id == sweep_id) & live())


async def of_jobs(job_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """The sweep of each job among `job_ids` that is a sweep's cell."""
    if not job_ids:
        return {}
    rows = await JobRow.select(JobRow.id, JobRow.sweep_id).where(JobRow.id.is_in(job_ids) & JobRow.sweep_id.is_not_null())
    return {row["id"]: row["sweep_id"] for row in rows}


# Cells that have ended: a deleted job counts, as nothing more will become of it.
_ENDED = (
    "(SELECT COUNT(*) FROM jobs WHERE jobs.sweep_id = sweeps.id "
    "AND (jobs.status IN ('finished', 'failed', 'cancelled') OR jobs.is_deleted))"
)


async def recount(sweep_id: uuid.UUID) -> tuple[int, int] | None:
    """Count the sweep's ended cells into `ended` if that moves it: (ended, total) when this call
    moved it, None when the count was already there. One guarded UPDATE, so of several processes
    recounting after the same job's end only one sees it move."""
    rows = await SweepRow.raw(
        f"UPDATE sweeps SET ended = {_ENDED} WHERE id = {{}} AND is_deleted = {{}} AND ended < {_ENDED} RETURNING ended, total",
        sweep_id,
        False,
    )
    return (rows[0]["ended"], rows[0]["total"]) if rows else None


async def claim_sheet(sweep_id: uuid.UUID, *, stale_after: datetime.timedelta) -> bool:
    """Whether this call took on making the sweep's contact sheet: every cell has ended, none is
    made, and no other process took it on (or it took it on longer than `stale_after` ago and
    must have died)."""
    now = utc_now()
    condition = (
        (SweepRow.id == sweep_id)
        & live()
        & WhereRaw("ended >= total")
        & SweepRow.sheet_path.is_null()
        & (SweepRow.sheet_claimed_at.is_null() | (SweepRow.sheet_claimed_at < now - stale_after))
    )
    return bool(await SweepRow.update({SweepRow.sheet_claimed_at: now}).where(condition).returning(SweepRow.id))


async def set_sheet(sweep_id: uuid.UUID, path: str) -> StoredSweep | None:
    """The sweep is finished with its contact sheet at `path` (under the outputs folder)."""
    await SweepRow.update({SweepRow.sheet_path: path, SweepRow.finished_at: utc_now()}).where((SweepRow.id == sweep_id) & live())
    return await get(sweep_id)


async def without_sheet(*, limit: int = 500) -> list[uuid.UUID]:
    """Live sweeps that have no contact sheet yet, oldest first: those still running, and any
    whose last cell's end was missed."""
    rows = await SweepRow.select(SweepRow.id).where(live() & SweepRow.sheet_path.is_null()).order_by(SweepRow.created_at).limit(limit)
    return [row["id"] for row in rows]


async def finished_before(cutoff: datetime.datetime) -> list[uuid.UUID]:
    """Sweeps whose contact sheet was made before `cutoff` (retention)."""
    rows = await SweepRow.select(SweepRow.id).where(live() & (SweepRow.finished_at < cutoff))
    return [row["id"] for row in rows]


async def soft_delete(sweep_id: uuid.UUID) -> None:
    await SweepRow.update({SweepRow.is_deleted: True}).where(SweepRow.id == sweep_id)
