"""The database queries behind /metrics and /api/stats: the jobs table is the truth, so every API
host reports the same figures, whichever process ran the jobs.

The all-time figures count every row, deleted ones too (retention and users soft-delete jobs),
so the Prometheus counters they feed never go down.
"""

from __future__ import annotations

import datetime
from typing import Any

import msgspec

from server.db.tables import Job as JobRow
from server.jobs.schemas import TERMINAL_STATUSES

# Upper bounds (seconds) of the wait and run time histograms' buckets: from a warm one-second
# image to an hour-long video.
BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class Histogram(msgspec.Struct, kw_only=True):
    # How many durations were at most each of BUCKETS (cumulative), how many in all, their sum.
    cumulative: list[int]
    count: int
    total: float


class WorkflowTotals(msgspec.Struct, kw_only=True):
    """One workflow's jobs since the database began."""

    workflow: str
    submitted: int
    # Finished, failed and cancelled jobs, by status.
    ended: dict[str, int]
    # Submit -> start of the jobs that started; start -> end of the jobs that ran and ended.
    wait: Histogram
    run: Histogram


class Span(msgspec.Struct, kw_only=True):
    """A job that started or ended in a window: its wait if it started in it, its run time and
    outcome if it ended in it (None otherwise)."""

    workflow: str
    wait: float | None
    run: float | None
    ended: str | None


def _seconds(start: str, end: str) -> str:
    """SQL for the seconds from column `start` to column `end`."""
    if JobRow._meta.db.engine_type == "postgres":
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"
    # SQLite keeps milliseconds; rounded to them, 2 s is 2.0 and not 2.0000000121 (above a bucket's bound).
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"


def _failure_kind() -> str:
    """SQL for the `type` of a row's error_details (server/jobs/failures.py)."""
    if JobRow._meta.db.engine_type == "postgres":
        return "(error_details->>'type')"
    return "json_extract(error_details, '$.type')"


_ENDED = ", ".join(f"'{status}'" for status in TERMINAL_STATUSES)


def _histogram(column: str) -> str:
    """SQL for the histogram columns of `column`: {column}_count, {column}_sum, {column}_0...
    (every column named: PostgreSQL would name each SUM "sum")."""
    buckets = (f"SUM(CASE WHEN {column} <= {bound} THEN 1 ELSE 0 END) AS {column}_{i}" for i, bound in enumerate(BUCKETS))
    return ", ".join([f"COUNT({column}) AS {column}_count", f"COALESCE(SUM({column}), 0) AS {column}_sum", *buckets])


def _read_histogram(row: dict[str, Any], column: str) -> Histogram:
    return Histogram(
        cumulative=[int(row[f"{column}_{i}"] or 0) for i in range(len(BUCKETS))],
        count=row[f"{column}_count"],
        total=float(row[f"{column}_sum"]),
    )


async def totals() -> list[WorkflowTotals]:
    """Every workflow's jobs ever submitted, by outcome, with wait and run time histograms: one
    grouped query, the buckets summed by CASE, whatever the number of rows."""
    waited = f"CASE WHEN started_at IS NOT NULL THEN {_seconds('created_at', 'started_at')} END"
    ran = f"CASE WHEN started_at IS NOT NULL AND finished_at IS NOT NULL THEN {_seconds('started_at', 'finished_at')} END"
    rows = await JobRow.raw(
        f"SELECT workflow, status, COUNT(*) AS jobs, {_histogram('wait')}, {_histogram('run')}"
        f" FROM (SELECT workflow, status, {waited} AS wait, {ran} AS run FROM jobs) AS spans"
        " GROUP BY workflow, status"
    )
    found: dict[str, WorkflowTotals] = {}
    for row in rows:
        workflow, status = row["workflow"], row["status"]
        into = found.setdefault(workflow, WorkflowTotals(workflow=workflow, submitted=0, ended={}, wait=_empty(), run=_empty()))
        into.submitted += row["jobs"]
        if status in TERMINAL_STATUSES:
            into.ended[status] = into.ended.get(status, 0) + row["jobs"]
        into.wait = _sum(into.wait, _read_histogram(row, "wait"))
        into.run = _sum(into.run, _read_histogram(row, "run"))
    return sorted(found.values(), key=lambda item: item.workflow)


def _empty() -> Histogram:
    return Histogram(cumulative=[0] * len(BUCKETS), count=0, total=0.0)


def _sum(a: Histogram, b: Histogram) -> Histogram:
    return Histogram(cumulative=[x + y for x, y in zip(a.cumulative, b.cumulative)], count=a.count + b.count, total=a.total + b.total)


async def failure_kinds() -> dict[str, int]:
    """Failed jobs ever, by the `type` of their error_details ("unknown" where there is none)."""
    rows = await JobRow.raw(
        f"SELECT COALESCE({_failure_kind()}, 'unknown') AS kind, COUNT(*) AS count FROM jobs"
        " WHERE status = 'failed' GROUP BY kind"
    )
    return {row["kind"]: row["count"] for row in rows}


async def spans_since(since: datetime.datetime) -> list[Span]:
    """The jobs that started or ended at or after `since`, deleted ones too."""
    rows = await JobRow.raw(
        "SELECT workflow,"
        f" CASE WHEN started_at >= {{}} THEN {_seconds('created_at', 'started_at')} END AS wait,"
        f" CASE WHEN finished_at >= {{}} AND started_at IS NOT NULL THEN {_seconds('started_at', 'finished_at')} END AS run,"
        f" CASE WHEN finished_at >= {{}} AND status IN ({_ENDED}) THEN status END AS ended"
        " FROM jobs WHERE started_at >= {} OR finished_at >= {}",
        *[since] * 5,
    )
    return [msgspec.convert(row, Span) for row in rows]
