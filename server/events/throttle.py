"""Latest-wins rate limit per key: how progress stays at ~10 messages a second per job."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class Throttle(Generic[Item]):
    """At most one item per key every `interval` seconds.

    An item offered too early waits as the key's pending item; a newer one replaces it, so the
    last value before a pause is still sent (at the end of the window), never lost.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._sent_at: dict[Hashable, float] = {}
        self._pending: dict[Hashable, Item] = {}

    def offer(self, key: Hashable, item: Item, now: float) -> bool:
        """True when `item` may go now (and counts as sent); otherwise it is kept as pending."""
        if now - self._sent_at.get(key, float("-inf")) >= self.interval:
            self._sent_at[key] = now
            self._pending.pop(key, None)
            return True
        self._pending[key] = item
        return False

    def due(self, now: float) -> list[Item]:
        """Pending items whose window has passed, marked as sent."""
        ready = [key for key in self._pending if now - self._sent_at[key] >= self.interval]
        for key in ready:
            self._sent_at[key] = now
        return [self._pending.pop(key) for key in ready]

    def wait(self, now: float) -> float | None:
        """Seconds until the next pending item is due; None when nothing is pending."""
        if not self._pending:
            return None
        return max(0.0, min(self._sent_at[key] + self.interval for key in self._pending) - now)

    def forget(self, keys: list[Hashable]) -> None:
        for key in keys:
            self._sent_at.pop(key, None)
            self._pending.pop(key, None)
