"""The Dramatiq broker: in memory in single-process mode, Redis when scaled out.

Messages carry only a job id; the job row is the truth. Redelivery is never relied on: queued
jobs are sent again by the recovery sweep and running ones are reconciled through their lease.
Nor are Dramatiq's retries: without the Retries middleware a message whose delivery failed is
dropped, never parked in a backoff that nobody sees, and its job waits in the database.
"""

from __future__ import annotations

import logging
import uuid

import anyio
import dramatiq
import redis
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, Middleware, Retries, default_middleware

from server.config import Settings
from server.jobs import repository, transitions

log = logging.getLogger(__name__)

QUEUE = "studio-jobs"
ACTOR = "run_job"


# Dramatiq counts the chance of a maintenance run per million broker commands: 5%.
MAINTENANCE_CHANCE = 50_000


def make_broker(settings: Settings) -> dramatiq.Broker:
    middleware: list[Middleware] = [m() for m in default_middleware if m is not Retries]
    broker: dramatiq.Broker
    if settings.redis_url:
        from dramatiq.brokers.redis import RedisBroker

        # Dramatiq's Redis broker hands a dead worker's messages to another one only in a maintenance
        # run (1 in maintenance_chance per million commands, 0.1% by default) after heartbeat_timeout:
        # both are set, and the recovery sweep (runtime.py) sends queued jobs again besides.
        broker = RedisBroker(
            url=settings.redis_url,
            middleware=middleware,
            heartbeat_timeout=int(settings.lease_seconds * 2000),
            maintenance_chance=MAINTENANCE_CHANCE,
        )
    else:
        broker = StubBroker(middleware=middleware)
    broker.add_middleware(AsyncIO())
    broker.declare_queue(QUEUE)
    return broker


class JobQueue:
    """Sends job ids to the workers."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    def send(self, job_id: uuid.UUID) -> None:
        self.broker.enqueue(dramatiq.Message(queue_name=QUEUE, actor_name=ACTOR, args=(str(job_id),), kwargs={}, options={}))

    def _send_all(self, job_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        """Send in order; the ids not sent. After a failure the broker is down: the rest wait too."""
        for sent, job_id in enumerate(job_ids):
            try:
                self.send(job_id)
            except Exception as exc:  # any broker failure: the row is the truth
                log.warning("could not send %d jobs to the queue (%s); they will be sent again", len(job_ids) - sent, exc)
                return job_ids[sent:]
        return []

    async def _sent_off(self, job_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        # The in-memory broker only puts the messages in a queue.Queue: no thread hop for that.
        if isinstance(self.broker, StubBroker):
            return self._send_all(job_ids)
        return await anyio.to_thread.run_sync(self._send_all, job_ids)

    async def enqueue(self, job_id: uuid.UUID) -> None:
        """Send again, and record when (the recovery sweep). A broker that is down loses nothing:
        the job stays queued in the database and the sweep sends it again."""
        if not await self._sent_off([job_id]):
            await transitions.mark_enqueued(job_id)

    async def send_all(self, job_ids: list[uuid.UUID]) -> None:
        """Send jobs just stored, whose insert recorded the send: one thread hop for them all.
        Those not sent are marked unsent, for the recovery sweep's next look (not the
        resend_after a sent message gets)."""
        if not (unsent := await self._sent_off(job_ids)):
            return
        try:
            await repository.mark_unsent(unsent)
        except Exception as exc:  # the database is away too: the sweep sends them after resend_after
            log.warning("could not mark %d unsent jobs (%s)", len(unsent), exc)


class RedisRestarts:
    """Notices that Redis started again since the last look: one that keeps nothing on disk comes
    back without the messages it held, so every queued job must be sent again."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self._client: redis.Redis | None = getattr(broker, "client", None)  # None: the in-memory broker
        self._run_id: str | None = None  # Redis's id of its current run

    async def happened(self) -> bool:
        if self._client is None:
            return False
        try:
            info = await anyio.to_thread.run_sync(self._client.info, "server")
        except redis.RedisError:
            return False  # away: the next look tells whether it came back as a new run
        restarted = self._run_id not in (None, info["run_id"])
        self._run_id = info["run_id"]
        return restarted
