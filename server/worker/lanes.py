"""A lane: one ComfyUI instance, its HTTP client, one socket, and two job slots.

Two slots keep the GPU busy: while one prompt runs, the next already waits inside ComfyUI,
and never more than one waits, so a cancel always knows where its prompt is. A job gives its slot
back as soon as ComfyUI is done with its prompt (Slot.release): storing its outputs must not hold
up the next prompt.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from server.comfy import ComfyClient, ComfySession
from server.comfy.errors import ComfyError

SLOTS_PER_LANE = 2


class Lane:
    def __init__(self, worker_name: str, comfy_url: str) -> None:
        self.comfy_url = comfy_url.rstrip("/")
        self.id = f"{worker_name} {self.comfy_url}"
        self.client = ComfyClient(self.comfy_url)
        # A client_id of its own (random), never shared with another process: ComfyUI feeds only
        # the latest socket of a client_id (ComfyUI#16010), so two processes sharing one would
        # silence each other. Prompts of a process that died are polled (ComfySession.adopt).
        self.session = ComfySession(self.client)
        self._slots = asyncio.Semaphore(SLOTS_PER_LANE)
        # Jobs holding or waiting for a slot; picks the lane for the next job.
        self.load = 0

    @classmethod
    def from_id(cls, lane_id: str) -> Lane:
        """The lane a job names: same worker name and ComfyUI URL, a socket of this process."""
        worker_name, _, comfy_url = lane_id.rpartition(" ")
        return cls(worker_name, comfy_url)

    async def start(self) -> None:
        await self.session.start()

    async def close(self) -> None:
        await self.session.close()
        await self.client.aclose()

    async def take_slot(self) -> Slot:
        """Wait for a free slot; its holder releases it."""
        self.load += 1
        try:
            await self._slots.acquire()
        except BaseException:
            self.load -= 1
            raise
        return Slot(self)

    def _free(self) -> None:
        self._slots.release()
        self.load -= 1


class Slot:
    """A lane slot held by one job, from before its claim until its prompt has left ComfyUI;
    leaving a `with slot:` block releases it, if nothing did earlier."""

    def __init__(self, lane: Lane) -> None:
        self.lane = lane
        self._released = asyncio.Event()

    def release(self) -> None:
        """Free the slot for the next job; once only, later calls do nothing."""
        if not self._released.is_set():
            self._released.set()
            self.lane._free()

    async def released(self) -> None:
        await self._released.wait()

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Lanes:
    def __init__(self, lanes: list[Lane]) -> None:
        self.all = lanes
        self.by_id = {lane.id: lane for lane in lanes}

    def least_busy(self) -> Lane:
        return min(self.all, key=lambda lane: lane.load)


@asynccontextmanager
async def borrowed_lane(lane_id: str) -> AsyncIterator[Lane | None]:
    """The lane of a worker gone for good, opened by this process to settle one of its jobs
    while the block runs; None when its ComfyUI does not answer."""
    lane = Lane.from_id(lane_id)
    try:
        await lane.client.queue()
    except ComfyError:
        answers = False
    else:
        answers = True
        await lane.start()
    try:
        yield lane if answers else None
    finally:
        await lane.close()
