"""Wire types of GET /api/stats: the last hour at a glance (the TUI's Stats view)."""

from __future__ import annotations

import msgspec


class Percentiles(msgspec.Struct, kw_only=True):
    """Seconds; null when no job in the window has the figure."""

    p50: float | None
    p90: float | None
    p99: float | None


class LaneState(msgspec.Struct, kw_only=True):
    # A ComfyUI base URL of STUDIO_COMFY_URL, and whether it answered the last look.
    url: str
    up: bool


class WorkflowCounts(msgspec.Struct, kw_only=True):
    """Jobs of one workflow that ended in the window, by outcome."""

    workflow: str
    finished: int
    failed: int
    cancelled: int


class Stats(msgspec.Struct, kw_only=True):
    # The window the figures cover, ending now.
    window_seconds: int
    # Jobs finished in the window, per minute.
    finished_per_minute: float
    finished: int
    failed: int
    cancelled: int
    # From submit to start, and from start to end, of the jobs that started / ended in the window.
    wait: Percentiles
    run: Percentiles
    # Now, over the whole queue.
    queued: int
    processing: int
    lanes: list[LaneState]
    workflows: list[WorkflowCounts]
