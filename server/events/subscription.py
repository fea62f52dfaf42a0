"""One client's bounded queue: a slow client loses intermediate progress, never a status change;
and the filters of /ws/events that decide what enters it. A client that keeps up skips the queue:
its socket's `direct` writer takes each event as the fan-out offers it."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Callable

import msgspec

from server.events.schemas import Event, QueueTotals, SweepProgress
from server.jobs.schemas import Status

# Queued messages per client; entries share the encoded message, so a full queue is small. Progress
# and previews coalesce per job, so only status and terminal events fill it: a client that has
# stopped reading altogether.
CAPACITY = 4096
TOO_FAR_BEHIND = "Too far behind: reconnect for a fresh snapshot."


class Outgoing(msgspec.Struct, frozen=True):
    """An event as every client is sent it, encoded once by the fan-out."""

    text: str
    # The same text as a whole WebSocket frame, for sockets written to directly (FrameWriter).
    frame: bytes


# Takes an event now, in the fan-out's call, or returns False to have it queued (the client is
# behind, or the event needs the writer task, which may close the socket after it).
Direct = Callable[[Event, Outgoing], bool]


class _Entry:
    __slots__ = ("event", "out")

    def __init__(self, event: Event, out: Outgoing) -> None:
        self.event = event
        self.out = out


class Subscription:
    """Filled by the fan-out (never blocking it), drained by the client's writer task."""

    def __init__(
        self,
        accepts: Callable[[Event], bool] = lambda _: True,
        *,
        job_id: uuid.UUID | None = None,
        key_id: uuid.UUID | None = None,
        capacity: int = CAPACITY,
    ) -> None:
        self.accepts = accepts
        # Set: only this job's events are offered (the fan-out indexes subscriptions by job).
        self.job_id = job_id
        # The API key the client connected with (None while Studio runs open): revoking it closes this.
        self.key_id = key_id
        self.capacity = capacity
        self.closed = False
        # Why the client must reconnect for a fresh snapshot: its queue filled up with events
        # that may not be dropped (it stalled), or events may have been missed on their way here.
        self.resync_reason: str | None = None
        # Closed because the client's key was revoked (server/access/revocations.py).
        self.revoked = False
        self._entries: deque[_Entry] = deque()
        # The queued droppable entry of each (kind, job), updated in place by newer ones.
        self._latest: dict[tuple[type, uuid.UUID | None], _Entry] = {}
        self._ready = asyncio.Event()
        # Set by the client's writer once the snapshot is out; tried only while nothing is
        # queued, so what it takes never overtakes what waits.
        self.direct: Direct | None = None

    def offer(self, event: Event, out: Outgoing) -> None:
        if self.closed or not self.accepts(event):
            return
        if not self._entries and self.direct is not None and self.direct(event, out):
            return
        if event.droppable:
            key = _key(event)
            if (entry := self._latest.get(key)) is not None:
                entry.event, entry.out = event, out
                return
            if len(self._entries) >= self.capacity:
                return
            entry = self._latest[key] = _Entry(event, out)
        else:
            if len(self._entries) >= self.capacity and not self._evict_droppable():
                self.close(resync_reason=TOO_FAR_BEHIND)
                return
            entry = _Entry(event, out)
        self._entries.append(entry)
        self._ready.set()

    async def get(self) -> tuple[Event, Outgoing] | None:
        """The next message, oldest first; None once the subscription is closed."""
        while not self._entries:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        entry = self._entries.popleft()
        if entry.event.droppable:
            del self._latest[_key(entry.event)]
        return entry.event, entry.out

    def close(self, *, resync_reason: str | None = None, revoked: bool = False) -> None:
        self.resync_reason = self.resync_reason or resync_reason
        self.revoked = self.revoked or revoked
        self.closed = True
        self._entries.clear()
        self._latest.clear()
        self._ready.set()

    def _evict_droppable(self) -> bool:
        for entry in self._entries:
            if entry.event.droppable:
                self._entries.remove(entry)
                del self._latest[_key(entry.event)]
                return True
        return False


def event_filter(statuses: tuple[Status, ...], workflow: str | None, owner: str | None = None) -> Callable[[Event], bool]:
    """/ws/events?status=&workflow=: the events of jobs in those statuses and of that workflow
    (and of that owner: a user key's own, or whose an admin asked for); queue.totals always. An event counts as the status it reports or leads to (job.created:
    queued; job.progress and job.preview: processing; job.finished, job.failed, job.cancelled:
    their outcome) and job.updated and job.deleted as the status the job had then. sweep.progress
    follows the owner rule only: a sweep is no job of one status or workflow."""

    def accepts(event: Event) -> bool:
        if isinstance(event, QueueTotals):
            return True
        if isinstance(event, SweepProgress):
            return owner is None or event.owner == owner
        return (
            (not statuses or event.status in statuses)
            and (not workflow or event.workflow == workflow)
            and (owner is None or event.owner == owner)
        )

    return accepts


def _key(event: Event) -> tuple[type, uuid.UUID | None]:
    return type(event), getattr(event, "job_id", None)
