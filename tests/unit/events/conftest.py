from __future__ import annotations

import asyncio

from server.events.schemas import Event
from server.events.subscription import Subscription


async def drain(subscription: Subscription, quiet: float = 0.05) -> list[Event]:
    """Every message the subscription holds or receives until it stays quiet for `quiet` seconds."""
    events: list[Event] = []
    while True:
        try:
            item = await asyncio.wait_for(subscription.get(), quiet)
        except TimeoutError:
            return events
        assert item is not None
        events.append(item[0])
