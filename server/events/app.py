"""What the API process adds for live events: the bus's lifespan, the totals feed and the routes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar

from server.events.bus import EventBus
from server.events.routes import events_socket, job_preview, job_socket
from server.events.totals import TotalsFeed

ROUTES = [job_socket, events_socket, job_preview]


def lifespan(bus: EventBus) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Runs the bus (and queue totals) while the app serves; needs the database already connected."""

    @asynccontextmanager
    async def run(_: Litestar) -> AsyncIterator[None]:
        await bus.start()
        totals = asyncio.create_task(TotalsFeed(bus.fanout).run(), name="studio-queue-totals")
        try:
            yield
        finally:
            totals.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await totals
            await bus.stop()

    return run
