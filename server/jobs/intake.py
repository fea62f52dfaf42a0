"""Group commit of submitted jobs: concurrent submits share one INSERT and one commit.

A submit joins the waiting list; one writer task inserts everything waiting in one multi-row
INSERT ... RETURNING, announces the batch (job.created events, flushed once) and sends its queue
messages, then takes whatever arrived meanwhile. No batching window: a lone submit is written at
once, and under load a batch is what came in while the previous one committed - so SQLite's one
writer commits once per batch, not once per job.

A stored job records its send (`enqueued_at`) in the insert itself: a submit is one write. A
message that could not be sent clears that mark, so the recovery sweep sends the job again at
its next look (server/worker/broker.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

from server.clock import utc_now
from server.db.tables import Job as JobRow
from server.jobs import repository
from server.jobs.events import JobCreated
from server.jobs.ports import EventPublisher, JobSender
from server.jobs.schemas import Job
from server.webhooks import repository as deliveries

log = logging.getLogger(__name__)

# Rows per INSERT: about 40 parameters each, far under SQLite's 32,766; a batch commits in a few ms.
MAX_BATCH = 100


class Intake:
    def __init__(self, queue: JobSender, events: EventPublisher) -> None:
        self.queue = queue
        self.events = events
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[Job]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, values: dict[str, Any]) -> Job:
        """Store a job of these column values along with the submits around it, announce it and
        send it; the job as stored. An insert that fails fails every submit of its batch."""
        future: asyncio.Future[Job] = asyncio.get_running_loop().create_future()
        self._waiting.append((values, future))
        if self._writer is None:
            # A context of its own: not the first submitter's request (its log fields, a transaction).
            self._writer = asyncio.create_task(self._write(), name="job-intake", context=contextvars.Context())
        return await future

    async def insert_one(self, values: dict[str, Any]) -> Job:
        """Store one job in the caller's transaction (a key's limits are checked in it); the
        caller announces it with `dispatch` once that transaction committed."""
        return await store_one(_sent(values))

    async def insert_many(self, rows: list[dict[str, Any]]) -> list[Job]:
        """Store jobs together in the caller's transaction, to be announced with `dispatch`."""
        return await store([_sent(values) for values in rows])

    async def dispatch(self, jobs: list[Job]) -> None:
        """Tell every client about the committed jobs before any worker can report on them, then
        hand them to the workers."""
        for job in jobs:
            self.events.publish(JobCreated(job_id=job.id, workflow=job.workflow, job=job, owner=job.owner))
        await self.events.flush()
        await self.queue.send_all([job.id for job in jobs])

    async def _write(self) -> None:
        batch: list[tuple[dict[str, Any], asyncio.Future[Job]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                try:
                    jobs = await store([_sent(values) for values, _ in batch])
                except Exception as exc:  # the database's answer, for every submit of the batch
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                try:
                    await self.dispatch(jobs)
                except Exception:  # stored all the same: the recovery sweep sends them
                    log.exception("could not announce or send %d stored jobs", len(jobs))
                for (_, future), job in zip(batch, jobs, strict=True):
                    if not future.done():
                        future.set_result(job)
        except asyncio.CancelledError:  # the loop is closing: no submit waits for ever
            for _, future in [*batch, *self._waiting]:
                future.cancel()
            raise
        finally:
            self._writer = None


async def store(rows: list[dict[str, Any]]) -> list[Job]:
    """Insert jobs of these column values, with the webhook deliveries of those that have a webhook
    in the same transaction (server/webhooks/repository.py): a job is never stored without them.
    Jobs without a webhook cost nothing more than their insert."""
    if not any(row.get("webhook") for row in rows):
        return await repository.insert_many(rows)
    async with JobRow._meta.db.transaction():  # within the caller's, when it opened one
        jobs = await repository.insert_many(rows)
        await deliveries.add_for(jobs)
    return jobs


async def store_one(values: dict[str, Any]) -> Job:
    return (await store([values]))[0]


def _sent(values: dict[str, Any]) -> dict[str, Any]:
    # The message goes out right after the commit; a failed send clears the mark again.
    return {**values, "enqueued_at": utc_now()}
