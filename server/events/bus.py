"""EventBus: publish job events from any thread or process; deliver them to this process's clients.

    bus = EventBus(settings, storage)     # previews are files in that storage
    await bus.start()                     # on the loop that owns the bus (listen=False in a worker)
    bus.publish(JobProgress(job_id=..., workflow=..., percent=40, step=8, total=20))
    bus.publish_preview(job_id, workflow, owner, jpeg_bytes, "image/jpeg")
    await bus.stop()                      # sends what is still queued, then stops

Update the job row first, then publish: a client's snapshot is read after the seq it reflects,
so an event whose seq the snapshot covers must already be in the database.
"""

from __future__ import annotations

import asyncio
import logging
import typing
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import msgspec

from server.access.links import LinkSigner
from server.clock import utc_now
from server.config import Settings
from server.events.fanout import Fanout
from server.events.previews import PreviewStore, preview_url
from server.events.schemas import JobEvent, JobPreview, Published, is_terminal
from server.events.subscription import Subscription
from server.events.throttle import Throttle
from server.events.transport import MemoryTransport, RedisTransport, Transport
from server.sweeps.schemas import SweepProgress
from server.storage import LocalStorage

log = logging.getLogger("studio.events")

# Progress and previews: at most this often per job (~10 a second).
DROPPABLE_INTERVAL = 0.1
# Events sent in one round trip at most, when they queue up faster than they are sent.
BATCH = 256
_DROPPABLE = tuple(kind for kind in typing.get_args(JobEvent) if kind.droppable)


class EventBus:
    def __init__(self, settings: Settings, storage: LocalStorage, links: LinkSigner | None = None) -> None:
        """`links` signs the output links of the jobs this process's clients are sent (the API's;
        a worker's bus has no clients, and its host need not hold the secret)."""
        self.transport: Transport = RedisTransport(settings.redis_url) if settings.redis_url else MemoryTransport()
        self.previews = PreviewStore(storage)
        self.fanout = Fanout(links)
        self._throttle: Throttle[JobEvent] = Throttle(DROPPABLE_INTERVAL)
        self._loop: asyncio.AbstractEventLoop | None = None
        # Made in start(): an asyncio queue belongs to one loop. A future is a flush() waiting to
        # be reached; None tells the sender to finish.
        self._outbox: asyncio.Queue[Published | asyncio.Future[None] | None] | None = None
        self._sender: asyncio.Task[None] | None = None

    async def start(self, *, listen: bool = True) -> None:
        """Start on the running loop. listen=False publishes only (a worker has no clients)."""
        await self.transport.start(self.fanout if listen else None)
        self._outbox = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_all(), name="studio-events-sender")
        self._loop = asyncio.get_running_loop()  # last: publish() accepts events from now on

    async def stop(self) -> None:
        """Send what was published before this call, then stop and close every subscription."""
        loop, self._loop = self._loop, None
        if loop is None or self._outbox is None or self._sender is None:
            return  # never started, or already stopped
        # After the events already handed over from other threads (call_soon keeps their order).
        loop.call_soon(self._outbox.put_nowait, None)
        await self._sender
        await self.transport.stop()
        self.fanout.close_all()

    def publish(self, event: Published) -> None:
        """Publish from any thread or event loop; never blocks. The bus sets `seq` (a job event's)
        and `ts`."""
        loop, outbox = self._loop, self._outbox
        stamped = msgspec.structs.replace(event, ts=utc_now())
        try:
            if loop is None or outbox is None:
                raise RuntimeError("the event bus is not running")
            # asyncio queues belong to their loop: hand the event over the thread-safe way.
            loop.call_soon_threadsafe(outbox.put_nowait, stamped)
        except RuntimeError as exc:
            log.warning("Dropped %s of %s: %s.", type(event).__name__, _subject(event), exc)

    def publish_preview(self, job_id: uuid.UUID, workflow: str, owner: str | None, image: bytes, mime: str) -> None:
        """Store the job's latest preview (served at GET /api/jobs/{id}/preview) and announce it.

        Writes one small file in the caller's thread; `mime` is image/jpeg, image/png or image/webp.
        """
        self.previews.save(job_id, image, mime)
        self.publish(JobPreview(job_id=job_id, workflow=workflow, owner=owner, url=preview_url(job_id)))

    async def flush(self) -> None:
        """On the bus's loop: wait until every event published so far has been sent (throttled
        progress still waiting for its turn excepted)."""
        if self._outbox is None or self._loop is None:
            return
        reached = self._loop.create_future()
        # Behind the events publish() handed over with call_soon_threadsafe and not yet queued.
        self._loop.call_soon(self._outbox.put_nowait, reached)
        await reached

    async def current_seqs(self, job_ids: list[uuid.UUID]) -> list[int]:
        return await self.transport.current_seqs(job_ids)

    @contextmanager
    def subscribe(self, subscription: Subscription) -> Iterator[Subscription]:
        """Receive this process's events in `subscription` while the block runs (on the bus's loop)."""
        self.fanout.add(subscription)
        try:
            yield subscription
        finally:
            self.fanout.remove(subscription)
            subscription.close()

    async def _send_all(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._outbox is not None
        while True:
            if due := self._throttle.due(loop.time()):
                await self._send(due)
            try:
                async with asyncio.timeout(self._throttle.wait(loop.time())):
                    items = [await self._outbox.get()]
            except TimeoutError:
                continue
            # What queued up meanwhile goes in the same round trip (one Redis pipeline), so a
            # burst costs a few round trips, not one per event.
            while len(items) < BATCH and not self._outbox.empty():
                items.append(self._outbox.get_nowait())
            batch: list[Published] = []
            reached: list[asyncio.Future[None]] = []
            stopping = False
            for item in items:
                if item is None:
                    stopping = True
                    break
                if isinstance(item, asyncio.Future):
                    reached.append(item)
                elif item.droppable:
                    if self._throttle.offer((type(item), item.job_id), item, loop.time()):
                        batch.append(item)
                else:
                    # A status or terminal event carries the progress: pending progress is stale now.
                    if not isinstance(item, SweepProgress):
                        self._throttle.forget([(kind, item.job_id) for kind in _DROPPABLE])
                    batch.append(item)
            if batch:
                await self._send(batch)
            for future in reached:
                if not future.done():  # its caller may have given up waiting
                    future.set_result(None)
            if stopping:
                return

    async def _send(self, events: list[Published]) -> None:
        try:
            for event in events:
                if is_terminal(event):
                    self.previews.discard(event.job_id)
            await self.transport.send(events)
        except Exception:
            # Publishing must never stop a worker; clients see the gap in seq and recover on reconnect.
            log.exception("Lost %d event(s), the first %s of %s.", len(events), type(events[0]).__name__, _subject(events[0]))


def _subject(event: Published) -> str:
    return f"sweep {event.sweep_id}" if isinstance(event, SweepProgress) else f"job {event.job_id}"
