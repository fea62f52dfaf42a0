"""Closes the live-event sockets of revoked keys within a second, on every API host.

A key is checked when a socket opens, and a socket may stay open for hours. So each API process
asks the database every POLL_SECONDS which keys were revoked lately (one query, however many
sockets it serves) and closes the sockets opened with them (4401, server/events/schemas.py). The
database is what API hosts share: a key revoked on another host, or by `studio keys revoke` in
another process, closes its sockets everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar

from server.access import repository
from server.clock import utc_now
from server.events.fanout import Fanout

log = logging.getLogger("studio.access")

POLL_SECONDS = 0.5
# Each poll looks this far back, not just to the previous one: revoked_at is the revoking process's
# clock, which may run behind this host's, and a socket whose key passed just before it was revoked
# is subscribed after the poll that saw the revocation.
LOOKBACK = datetime.timedelta(seconds=60)


async def watch(fanout: Fanout) -> None:
    failing = False
    while True:
        await asyncio.sleep(POLL_SECONDS)
        try:
            revoked = await repository.revoked_since(utc_now() - LOOKBACK)
        except Exception:
            if not failing:  # once per outage, not twice a second
                log.exception("Could not read which API keys were revoked; the sockets of revoked keys stay open until it can.")
            failing = True
            continue
        failing = False
        if revoked:
            fanout.revoke({key.id for key in revoked})


def lifespan(fanout: Fanout) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Watches for revocations while the app serves; needs the database connected."""

    @asynccontextmanager
    async def run(_: Litestar) -> AsyncIterator[None]:
        watcher = asyncio.create_task(watch(fanout), name="studio-revocations")
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    return run
