"""This process's subscriptions, and the one step that hands each event to those that want it."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection

from server.access.links import LinkSigner
from server.events.schemas import Event, encoder
from server.events.subscription import Outgoing, Subscription
from server.http.ws_protocol import text_frame
from server.jobs.signed import Message, signed

EVENTS_MISSED = "Studio's event feed was interrupted: reconnect for a fresh snapshot."


class Fanout:
    def __init__(self, links: LinkSigner | None = None) -> None:
        # Signs the output links of the jobs clients are sent: the API's; a worker's bus has no clients.
        self._links = links
        self._everything: set[Subscription] = set()
        # /ws/jobs/{id} clients, found by job so each event costs nothing for the others.
        self._by_job: defaultdict[uuid.UUID, set[Subscription]] = defaultdict(set)
        # In-process observers that need no queue (the queue totals feed).
        self._listeners: list[Callable[[Event], None]] = []

    def listen(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def add(self, subscription: Subscription) -> None:
        if subscription.job_id is None:
            self._everything.add(subscription)
        else:
            self._by_job[subscription.job_id].add(subscription)

    def remove(self, subscription: Subscription) -> None:
        if subscription.job_id is None:
            self._everything.discard(subscription)
            return
        listeners = self._by_job.get(subscription.job_id)
        if listeners is not None:
            listeners.discard(subscription)
            if not listeners:
                del self._by_job[subscription.job_id]

    def client_counts(self) -> tuple[int, int]:
        """(/ws/events clients, /ws/jobs/{id} clients) of this process, for /metrics."""
        return len(self._everything), sum(len(group) for group in self._by_job.values())

    def dispatch(self, event: Event) -> None:
        """Offer `event` to every interested subscription; never waits (runs on the event loop)."""
        for listener in self._listeners:
            listener(event)
        job_id = getattr(event, "job_id", None)
        targets = list(self._everything)
        if job_id is not None and job_id in self._by_job:
            targets.extend(self._by_job[job_id])
        if not targets:
            return
        event = self.present(event)
        data = encoder.encode(event)  # signed, encoded and framed once for every client
        out = Outgoing(data.decode(), text_frame(data))
        for subscription in targets:
            subscription.offer(event, out)

    def present(self, message: Message) -> Message:
        """A job, or an event carrying one, as clients are sent it: its output links signed."""
        return signed(message, self._links) if self._links else message

    def close_all(self, *, resync_reason: str | None = None) -> None:
        for subscription in self._all():
            subscription.close(resync_reason=resync_reason)

    def revoke(self, key_ids: Collection[uuid.UUID]) -> None:
        """Close the subscriptions of clients that connected with one of these keys, now revoked."""
        for subscription in self._all():
            if subscription.key_id in key_ids:
                subscription.close(revoked=True)

    def _all(self) -> list[Subscription]:
        # A copy: a closed subscription's handler removes it meanwhile.
        return [*self._everything, *(s for group in self._by_job.values() for s in group)]

    def resync(self) -> None:
        """Events may have been missed on their way here: every client starts over from a snapshot."""
        self.close_all(resync_reason=EVENTS_MISSED)
