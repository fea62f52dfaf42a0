"""queue.totals: each API process recounts after status changes and tells its own clients.

Derived per process rather than published, so N API hosts do not send N copies of each count.
"""

from __future__ import annotations

import asyncio
import logging

from server.clock import utc_now
from server.events.fanout import Fanout
from server.events.schemas import Event, QueueTotals
from server.jobs.repository import active_totals

log = logging.getLogger("studio.events")

# Status changes within this window cost one count (a burst of 100 submissions is one query).
COALESCE_SECONDS = 0.25


class TotalsFeed:
    def __init__(self, fanout: Fanout) -> None:
        self._fanout = fanout
        self._changed = asyncio.Event()
        self._seq = 0
        fanout.listen(self._on_event)

    def _on_event(self, event: Event) -> None:
        if not event.droppable:  # created, status and terminal events move the totals
            self._changed.set()

    async def run(self) -> None:
        while True:
            await self._changed.wait()
            await asyncio.sleep(COALESCE_SECONDS)
            self._changed.clear()
            try:
                queued, processing = await active_totals()
            except Exception:
                log.exception("Could not count the active jobs for queue.totals.")
                continue
            self._seq += 1
            self._fanout.dispatch(QueueTotals(queued=queued, processing=processing, seq=self._seq, ts=utc_now()))
