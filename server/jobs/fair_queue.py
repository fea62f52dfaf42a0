"""The order queued jobs run in: the fair queue.

As users see it: jobs of a higher priority (the priority of the key that submitted them, at the
time of the submit) run first. Among jobs of one priority, owners take turns - the keys' names;
jobs submitted without a key count as one owner: every owner's oldest queued job comes before
anyone's second, every second before anyone's third, and so on; between owners on the same turn
the one served longest ago goes first (one never served before anyone, the one waiting longest
first). So one key that submits 500 jobs does not make everyone else wait for them: a job someone
else submits after them is among the next to start. The queue is listed in the order it starts,
as long as no job is added.

A queue message only says "there is work": a worker with a free slot takes the first job in this
order (`take_next`), whatever job's submit sent the message, and the queue snapshot lists queued
jobs in the same order (`in_order`). The order is computed when a job is taken, from the rows, so
it holds across any number of workers.
"""

from __future__ import annotations

import uuid
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable
from piccolo.querystring import QueryString

from server.db.tables import Job as JobRow

# Each queued job with what orders it: its priority, its turn among its owner's queued jobs of
# that priority, when its owner has waited since (its oldest queued job: owners never served go
# in the order they will be served in every later turn, so the listed order is the order jobs
# start) and when its owner was last served (a job started). That last one is a backward walk of
# the (owner, started_at) index, not a pass over the owner's whole history: ordered by both
# columns, so PostgreSQL walks the index for a NULL owner too. PARTITION BY puts every NULL owner
# in one group.
_RANKED = """
    SELECT id, priority, turn, waiting_since, created_at,
        CASE WHEN owner IS NULL THEN ({last_served} served.owner IS NULL {latest})
            ELSE ({last_served} served.owner = queued.owner {latest}) END AS last_served
    FROM (
        SELECT id, owner, priority, created_at,
            ROW_NUMBER() OVER (PARTITION BY priority, owner ORDER BY created_at, id) AS turn,
            MIN(created_at) OVER (PARTITION BY priority, owner) AS waiting_since
        FROM jobs WHERE {{}}
    ) AS queued
""".format(
    last_served="SELECT started_at FROM jobs AS served WHERE",
    latest="AND served.started_at IS NOT NULL ORDER BY served.owner DESC, served.started_at DESC LIMIT 1",
)
_ORDER = "fair.priority DESC, fair.turn, fair.last_served ASC NULLS FIRST, fair.waiting_since, fair.created_at, fair.id"

# A take that lost its job to another worker (or to a cancel) tries again: each loss means a job
# left the queue, so the bound only matters under endless churn. A take that gives up drops its
# message; the recovery sweep sends the jobs still queued again (runtime.py).
TAKE_TRIES = 10


def _queued(live: Combinable) -> Combinable:
    return live & (JobRow.status == "queued")


# `live` in what follows: the jobs Studio still has (repository.live(), passed in because the
# repository imports this module).


def _fair(live: Combinable, shown: Combinable, *, limit: int, lock: str = "") -> QueryString:
    """The ids of the `shown` jobs in fair order, where every queued job of `live` has its place."""
    return QueryString(
        f"SELECT jobs.id FROM jobs JOIN ({_RANKED}) AS fair ON fair.id = jobs.id"
        f" WHERE {{}} ORDER BY {_ORDER} LIMIT {{}}{lock}",
        _queued(live).querystring,
        shown.querystring,
        limit,
    )


async def in_order(live: Combinable, shown: Combinable, *, limit: int) -> list[uuid.UUID]:
    """The queued jobs among `shown`, first to run first."""
    rows = await JobRow.raw("{}", _fair(live, _queued(live) & shown, limit=limit))
    return [row["id"] for row in rows]


async def take_next(live: Combinable, changes: dict[Any, Any]) -> dict[str, Any] | None:
    """Apply `changes` to the first queued job in fair order, in one UPDATE guarded by the job
    still being queued; the row as changed (every column), or None when no job is queued."""
    # PostgreSQL: a worker skips the row another one is taking instead of waiting to lose it.
    lock = " FOR UPDATE OF jobs SKIP LOCKED" if JobRow._meta.db.engine_type == "postgres" else ""
    first = _fair(live, _queued(live), limit=1, lock=lock)
    for _ in range(TAKE_TRIES):
        taken = JobRow.update(changes).where(WhereRaw("jobs.id = ({})", first) & _queued(live))
        rows = await taken.returning(*JobRow.all_columns())
        if rows:
            return rows[0]
        if not await JobRow.exists().where(_queued(live)):
            return None
    return None

