"""The Prometheus figures of one API process, in a registry of its own (never the library's global
one: a test process makes many apps).

Job figures are read from the database at scrape time, so every API host reports the same
queue; WebSocket clients and HTTP requests are this process's own (Prometheus tells hosts apart
by `instance`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import msgspec
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from server.events.fanout import Fanout
from server.jobs.repository import active_totals
from server.stats import figures
from server.stats.lanes import LaneProbe
from server.stats.schemas import LaneState

# A scrape storm (several Prometheus servers, a dashboard's refresh) costs one query set.
CACHE_SECONDS = 2.0


class JobFigures(msgspec.Struct, kw_only=True):
    workflows: list[figures.WorkflowTotals]
    failures: dict[str, int]
    queued: int
    processing: int
    lanes: list[LaneState]


class JobCollector(Collector):
    """The job figures of the last refresh(), as Prometheus metric families."""

    def __init__(self, lanes: LaneProbe, cache_seconds: float = CACHE_SECONDS) -> None:
        self.lanes = lanes
        self.cache_seconds = cache_seconds
        self._figures: JobFigures | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Read the figures again unless the last read is recent (collect() cannot: it is not async)."""
        async with self._lock:
            if self._figures is not None and time.monotonic() - self._read_at < self.cache_seconds:
                return
            workflows, failures, (queued, processing), lanes = await asyncio.gather(
                figures.totals(), figures.failure_kinds(), active_totals(), self.lanes.states()
            )
            self._figures = JobFigures(workflows=workflows, failures=failures, queued=queued, processing=processing, lanes=lanes)
            self._read_at = time.monotonic()

    def collect(self) -> Iterator[Metric]:
        found = self._figures
        if found is None:
            return
        submitted = CounterMetricFamily("studio_jobs_submitted", "Jobs submitted, by workflow.", labels=["workflow"])
        ended = CounterMetricFamily("studio_jobs", "Jobs that ended, by outcome (finished, failed, cancelled) and workflow.", labels=["status", "workflow"])
        wait = HistogramMetricFamily("studio_job_wait_seconds", "From submit to start, of the jobs that started.", labels=["workflow"])
        run = HistogramMetricFamily("studio_job_run_seconds", "From start to end, of the jobs that ran and ended.", labels=["workflow"])
        for totals in found.workflows:
            submitted.add_metric([totals.workflow], totals.submitted)
            for status, count in sorted(totals.ended.items()):
                ended.add_metric([status, totals.workflow], count)
            wait.add_metric([totals.workflow], _buckets(totals.wait), totals.wait.total)
            run.add_metric([totals.workflow], _buckets(totals.run), totals.run.total)
        yield from (submitted, ended, wait, run)
        yield GaugeMetricFamily("studio_queue_depth", "Jobs waiting to run, over the whole queue.", value=found.queued)
        yield GaugeMetricFamily("studio_jobs_running", "Jobs running now, over the whole queue.", value=found.processing)
        errors = CounterMetricFamily(
            "studio_job_errors", "Failed jobs by the kind of failure (their error_details type).", labels=["kind"]
        )
        for kind, count in sorted(found.failures.items()):
            errors.add_metric([kind], count)
        yield errors
        up = GaugeMetricFamily("studio_comfyui_up", "1 when the ComfyUI at this URL answers, else 0.", labels=["url"])
        for lane in found.lanes:
            up.add_metric([lane.url], 1 if lane.up else 0)
        yield up


def _buckets(histogram: figures.Histogram) -> list[tuple[str, float]]:
    bounds = [floatToGoString(bound) for bound in figures.BUCKETS]
    return [*zip(bounds, histogram.cumulative), ("+Inf", histogram.count)]


class WebSocketCollector(Collector):
    def __init__(self, fanout: Fanout) -> None:
        self.fanout = fanout

    def collect(self) -> Iterator[Metric]:
        events, jobs = self.fanout.client_counts()
        clients = GaugeMetricFamily("studio_websocket_clients", "WebSocket clients of this process, by route.", labels=["route"])
        clients.add_metric(["/ws/events"], events)
        clients.add_metric(["/ws/jobs/{job_id}"], jobs)
        yield clients


class Metrics:
    def __init__(self, fanout: Fanout, lanes: LaneProbe) -> None:
        self.registry = CollectorRegistry()
        self.jobs = JobCollector(lanes)
        self.registry.register(self.jobs)
        self.registry.register(WebSocketCollector(fanout))
        self.requests = Counter(
            "studio_http_requests",
            "HTTP requests this process answered, by method, route (its path template) and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "studio_http_request_duration_seconds",
            "Time from request to the end of the answer, by method and route.",
            ["method", "route"],
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    async def exposition(self) -> bytes:
        """Prometheus's text format of every figure, the job figures at most CACHE_SECONDS old."""
        await self.jobs.refresh()
        return generate_latest(self.registry)
