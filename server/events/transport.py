"""How job events travel and get their seq: in this process, or through Redis to every process.

A transport assigns each event its per-job `seq` and delivers it to the local fan-out of every
listening process (this one included). Redis does both in one script, so the seq order is the
order in which every API host receives the events, whichever process published them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Protocol

import msgspec
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from server.events.schemas import JobDeleted, Published
from server.jobs.schemas import ACTIVE_STATUSES
from server.sweeps.schemas import SweepProgress

log = logging.getLogger("studio.events")

class Receiver(Protocol):
    """Where a listening process's transport hands events: its fan-out."""

    def dispatch(self, event: Published) -> None: ...

    def resync(self) -> None:
        """Events may have been missed (the subscription was lost and is back)."""


class Transport(Protocol):
    async def start(self, receiver: Receiver | None) -> None:
        """Begin delivering events to `receiver` (None: publish only, as a worker process does)."""

    async def stop(self) -> None: ...

    async def send(self, events: list[Published]) -> None:
        """Assign each job event the next seq of its job and deliver the events everywhere, in this
        order (sweep.progress has no seq: a sweep's counts only grow, and say where it stands)."""

    async def current_seqs(self, job_ids: list[uuid.UUID]) -> list[int]:
        """The last seq assigned for each job (0 when none)."""


class MemoryTransport:
    """Single-process mode: seq counters in a dict, delivery by a direct call."""

    def __init__(self) -> None:
        self._seqs: dict[uuid.UUID, int] = {}
        self._receiver: Receiver | None = None

    async def start(self, receiver: Receiver | None) -> None:
        self._receiver = receiver

    async def stop(self) -> None:
        self._receiver = None

    async def send(self, events: list[Published]) -> None:
        for event in events:
            if isinstance(event, SweepProgress):
                if self._receiver is not None:
                    self._receiver.dispatch(event)
                continue
            seq = self._seqs.get(event.job_id, 0) + 1
            # Only an active job's seq is kept, so the dict stays small: snapshots list active jobs
            # only, and what follows a job's end or deletion (job.updated) needs no order against one.
            if event.status in ACTIVE_STATUSES and not isinstance(event, JobDeleted):
                self._seqs[event.job_id] = seq
            else:
                self._seqs.pop(event.job_id, None)
            if self._receiver is not None:
                self._receiver.dispatch(msgspec.structs.replace(event, seq=seq))

    async def current_seqs(self, job_ids: list[uuid.UUID]) -> list[int]:
        return [self._seqs.get(job_id, 0) for job_id in job_ids]


# Pub/sub channels ignore the database number: name the channel after it, so installations
# sharing one Redis server on different databases do not see each other's events.
CHANNEL = "studio:{db}:events"
SEQ_KEY = "studio:seq:{}"
# A job's seq counter outlives any job by far; it only keeps Redis from filling up.
SEQ_TTL_SECONDS = 7 * 24 * 3600
# INCR and PUBLISH in one atomic step: messages reach subscribers in seq order.
# The message is "<seq> <event JSON>", so the JSON is encoded once, by the publisher.
_SEND = """
local seq = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[1], seq .. ' ' .. ARGV[2])
return seq
"""
RECONNECT_DELAY = 1.0


class RedisTransport:
    """Scaled-out mode: one pub/sub subscription per process, seq counters in Redis."""

    def __init__(self, url: str) -> None:
        # Named, so `redis-cli client list` tells which process holds which connection. No
        # retries inside redis-py: this class decides what a lost connection means.
        self._redis = Redis.from_url(url, client_name=f"studio-events-{os.getpid()}", retry=Retry(NoBackoff(), 0))
        self.channel = CHANNEL.format(db=self._redis.connection_pool.connection_kwargs.get("db", 0))
        self._send = self._redis.register_script(_SEND)
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(Published)
        self._listener: asyncio.Task[None] | None = None

    async def start(self, receiver: Receiver | None) -> None:
        await self._redis.ping()  # fail at start-up, with Redis's own message, not on the first event
        if receiver is not None:
            # Subscribed before start() returns: no event published after it is missed.
            pubsub = await self._subscribe()
            self._listener = asyncio.create_task(self._listen(pubsub, receiver), name="studio-events-redis")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await self._redis.aclose()

    async def send(self, events: list[Published]) -> None:
        try:
            await self._send_pipelined(events)
        except RedisConnectionError:
            # A pooled connection from before a Redis restart fails once; the next one is fresh.
            await self._send_pipelined(events)

    async def _send_pipelined(self, events: list[Published]) -> None:
        # One round trip: Redis runs a pipeline's scripts in order, each one atomic, so the seq
        # order is still the order in which every host receives the events.
        async with self._redis.pipeline(transaction=False) as pipeline:
            for event in events:
                if isinstance(event, SweepProgress):
                    pipeline.publish(self.channel, b"0 " + self._encoder.encode(event))
                    continue
                keys, args = [SEQ_KEY.format(event.job_id)], [self.channel, self._encoder.encode(event), SEQ_TTL_SECONDS]
                await self._send(keys=keys, args=args, client=pipeline)
            await pipeline.execute()

    async def current_seqs(self, job_ids: list[uuid.UUID]) -> list[int]:
        if not job_ids:
            return []
        values = await self._redis.mget([SEQ_KEY.format(job_id) for job_id in job_ids])
        return [int(value) if value is not None else 0 for value in values]

    async def _subscribe(self) -> PubSub:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
        except BaseException:
            await pubsub.aclose()
            raise
        return pubsub

    async def _listen(self, pubsub: PubSub, receiver: Receiver) -> None:
        while True:
            try:
                async for message in pubsub.listen():
                    if message["type"] == "message" and (event := self._decode(message["data"])):
                        receiver.dispatch(event)
            except (RedisError, OSError) as exc:
                log.warning("Redis event subscription lost (%s); subscribing again.", exc)
            finally:
                await pubsub.aclose()
            # A fresh subscription on a fresh connection (redis-py's own re-subscribe can leave a
            # listener waiting forever). Events sent meanwhile are lost, and a restarted Redis
            # counts seqs from 1 again: every client starts over from a fresh snapshot.
            pubsub = await self._subscribe_again()
            receiver.resync()

    async def _subscribe_again(self) -> PubSub:
        while True:
            await asyncio.sleep(RECONNECT_DELAY)
            try:
                pubsub = await self._subscribe()
            except (RedisError, OSError) as exc:
                log.warning("Redis is still unreachable (%s); trying again in %.0f s.", exc, RECONNECT_DELAY)
                continue
            log.warning("Redis event subscription is back; clients are told to reconnect.")
            return pubsub

    def _decode(self, data: bytes) -> Published | None:
        seq, _, body = data.partition(b" ")
        try:
            event = self._decoder.decode(body)
            return event if isinstance(event, SweepProgress) else msgspec.structs.replace(event, seq=int(seq))
        except (msgspec.DecodeError, ValueError) as exc:
            log.warning("Ignored a message on %s that is not a Studio event: %s", self.channel, exc)
            return None
