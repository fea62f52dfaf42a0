"""GET /api/stats: the last hour at a glance, from the same queries as /metrics."""

from __future__ import annotations

import asyncio
import datetime
import math

from server.clock import utc_now
from server.jobs.repository import active_totals
from server.stats import figures
from server.stats.lanes import LaneProbe
from server.stats.schemas import Percentiles, Stats, WorkflowCounts

WINDOW_SECONDS = 3600


async def last_hour(lanes: LaneProbe) -> Stats:
    since = utc_now() - datetime.timedelta(seconds=WINDOW_SECONDS)
    spans, (queued, processing), states = await asyncio.gather(figures.spans_since(since), active_totals(), lanes.states())
    by_workflow: dict[str, WorkflowCounts] = {}
    for span in spans:
        if span.ended is None:
            continue
        counts = by_workflow.setdefault(span.workflow, WorkflowCounts(workflow=span.workflow, finished=0, failed=0, cancelled=0))
        setattr(counts, span.ended, getattr(counts, span.ended) + 1)
    workflows = sorted(by_workflow.values(), key=lambda counts: counts.workflow)
    finished = sum(counts.finished for counts in workflows)
    return Stats(
        window_seconds=WINDOW_SECONDS,
        finished_per_minute=round(finished / (WINDOW_SECONDS / 60), 3),
        finished=finished,
        failed=sum(counts.failed for counts in workflows),
        cancelled=sum(counts.cancelled for counts in workflows),
        wait=percentiles([span.wait for span in spans if span.wait is not None]),
        run=percentiles([span.run for span in spans if span.run is not None]),
        queued=queued,
        processing=processing,
        lanes=states,
        workflows=workflows,
    )


def percentiles(seconds: list[float]) -> Percentiles:
    """Nearest rank: each figure is one of the durations (the smallest that at least that share
    of them do not exceed), rounded to the millisecond."""
    ordered = sorted(seconds)

    def rank(share: float) -> float | None:
        if not ordered:
            return None
        return round(ordered[max(math.ceil(share * len(ordered)), 1) - 1], 3)

    return Percentiles(p50=rank(0.5), p90=rank(0.9), p99=rank(0.99))
