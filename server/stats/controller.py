"""GET /metrics (Prometheus) and GET /api/stats (the last hour, for people and the TUI)."""

from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from server.access.guards import admin_only
from server.errors import error_responses
from server.stats.lanes import LaneProbe
from server.stats.metrics import Metrics
from server.stats.schemas import Stats
from server.stats.summary import last_hour


@get(
    "/metrics",
    tags=["stats"],
    summary="Prometheus metrics",
    description="Prometheus text format 0.0.4: jobs by status and workflow, queue depth and running jobs (over the "
    "whole queue, whichever API host answers), wait and run time histograms, ComfyUI lanes up, failures by kind, "
    "and this process's WebSocket clients and HTTP requests. Needs an admin key while Studio has keys.",
    guards=[admin_only],
    media_type=CONTENT_TYPE_PLAIN_0_0_4,
    responses=error_responses(403),
)
async def metrics(metrics: NamedDependency[Metrics]) -> Response[str]:
    return Response((await metrics.exposition()).decode(), media_type=CONTENT_TYPE_PLAIN_0_0_4)


@get(
    "/api/stats",
    tags=["stats"],
    summary="The last hour at a glance",
    description="Throughput, wait and run time percentiles of the last hour, jobs by workflow and outcome, the "
    "queue now and which ComfyUI lanes answer. Over the whole queue, whichever key asks (it shows no prompts).",
)
async def stats(lanes: NamedDependency[LaneProbe]) -> Stats:
    return await last_hour(lanes)


ROUTES = [metrics, stats]
