"""A lane: one ComfyUI instance, its HTTP client, one socket, and two job slots.

Two slots keep the GPU busy: while one prompt runs, the next already waits inside ComfyUI,
and never more than one waits, so a cancel always knows where its prompt is.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from server.comfy import ComfyClient, ComfySession
from server.comfy.errors import ComfyError

SLOTS_PER_LANE = 2
# Stable per lane, so a restarted worker's socket receives the frames of prompts it re-attaches to.
_CLIENT_ID_NAMESPACE = uuid.UUID("6f1d8c1e-2b7a-4e0c-9a51-5e7f2d3c9b10")


class Lane:
    def __init__(self, worker_name: str, comfy_url: str) -> None:
        self.comfy_url = comfy_url.rstrip("/")
        self.id = f"{worker_name} {self.comfy_url}"
        self.client = ComfyClient(self.comfy_url)
        self.session = ComfySession(self.client, uuid.uuid5(_CLIENT_ID_NAMESPACE, self.id).hex)
        self._slots = asyncio.Semaphore(SLOTS_PER_LANE)
        # Jobs holding or waiting for a slot; picks the lane for the next job.
        self.load = 0

    @classmethod
    def from_id(cls, lane_id: str) -> Lane:
        """The lane a job names, as its worker had it: same ComfyUI URL, same client_id."""
        worker_name, _, comfy_url = lane_id.rpartition(" ")
        return cls(worker_name, comfy_url)

    async def start(self) -> None:
        await self.session.start()

    async def close(self) -> None:
        await self.session.close()
        await self.client.aclose()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        self.load += 1
        try:
            async with self._slots:
                yield
        finally:
            self.load -= 1


class Lanes:
    def __init__(self, lanes: list[Lane]) -> None:
        self.all = lanes
        self.by_id = {lane.id: lane for lane in lanes}

    def least_busy(self) -> Lane:
        return min(self.all, key=lambda lane: lane.load)


class BorrowedLanes:
    """Lanes of workers that are gone for good, opened by this worker to settle their jobs.

    Jobs of one lane share one connection: two sockets with the same client_id would make
    ComfyUI deafen one of them (ComfyUI#16010).
    """

    def __init__(self) -> None:
        self._open: dict[str, tuple[Lane, int]] = {}
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def borrow(self, lane_id: str) -> AsyncIterator[Lane | None]:
        """The lane, connected, while the block runs; None when its ComfyUI does not answer."""
        async with self._opening:
            lane, users = self._open.get(lane_id, (None, 0))
            if lane is None:
                lane = Lane.from_id(lane_id)
                try:
                    await lane.client.queue()
                except ComfyError:
                    await lane.close()
                    lane = None
                else:
                    await lane.start()
            if lane is not None:
                self._open[lane_id] = (lane, users + 1)
        if lane is None:
            yield None
            return
        try:
            yield lane
        finally:
            lane, users = self._open.pop(lane_id)
            if users > 1:
                self._open[lane_id] = (lane, users - 1)
            else:
                await lane.close()
