"""What the job service needs from the rest of Studio, as protocols: jobs is the base layer, so it
names these and the composition root (`server.services`) plugs in the real ones - the worker's
`JobQueue` and the events package's `EventBus` - which import jobs, never the other way round."""

from __future__ import annotations

import uuid
from typing import Protocol

from server.jobs.events import JobEvent


class JobSender(Protocol):
    async def enqueue(self, job_id: uuid.UUID) -> None:
        """Hand the job to the workers. Never raises: a job not sent stays queued and is sent again."""

    async def send_all(self, job_ids: list[uuid.UUID]) -> None:
        """Hand jobs just stored (their insert recorded the send) to the workers. Never raises:
        a job not sent is marked so, and the recovery sweep's next look sends it again."""


class EventPublisher(Protocol):
    def publish(self, event: JobEvent) -> None:
        """Publish from any thread; never blocks."""

    async def flush(self) -> None:
        """Wait until every event published so far has gone out."""
