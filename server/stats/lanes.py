"""Whether each ComfyUI of STUDIO_COMFY_URL answers: one cheap request per URL, looked at most
every few seconds however often /metrics and /api/stats are read."""

from __future__ import annotations

import asyncio
import time

from server.comfy import ComfyClient, ComfyError
from server.stats.schemas import LaneState

# A lane that went down shows within this; a scrape storm costs one probe per URL.
CACHE_SECONDS = 5.0
# A ComfyUI busy streaming a job answers late (server/comfy/http.py), but a probe must not hold a
# scrape for long: slower than this reads as down.
PROBE_SECONDS = 3.0


class LaneProbe:
    def __init__(self, comfy_urls: list[str], *, cache_seconds: float = CACHE_SECONDS) -> None:
        self.comfy_urls = comfy_urls
        self.cache_seconds = cache_seconds
        self._seen: tuple[float, list[LaneState]] | None = None
        self._lock = asyncio.Lock()

    async def states(self) -> list[LaneState]:
        async with self._lock:  # concurrent readers share one look
            if self._seen is None or time.monotonic() - self._seen[0] >= self.cache_seconds:
                ups = await asyncio.gather(*(_answers(url) for url in self.comfy_urls))
                self._seen = (time.monotonic(), [LaneState(url=url, up=up) for url, up in zip(self.comfy_urls, ups)])
            return self._seen[1]


async def _answers(url: str) -> bool:
    # A client per look: at most one every CACHE_SECONDS, and nothing to close at shutdown.
    try:
        async with ComfyClient(url, timeout=PROBE_SECONDS) as client:
            await client.system_stats()
    except ComfyError:
        return False
    return True
