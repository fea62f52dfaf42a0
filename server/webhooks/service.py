"""Webhook use cases: a job's deliveries as its owner sees them, a replay, the caller's secret."""

from __future__ import annotations

import uuid

from server.access.schemas import Caller
from server.errors import Conflict, FieldError, NotFound, echo
from server.jobs import repository as jobs
from server.jobs.schemas import Job
from server.webhooks import repository
from server.webhooks.dispatcher import Dispatcher
from server.webhooks.schemas import Delivery, DeliveryList, WebhookSecret


class WebhookService:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    async def deliveries(self, job_id: uuid.UUID, caller: Caller) -> DeliveryList:
        return DeliveryList(items=await repository.of_job(await _job(job_id, caller)))

    async def replay(self, job_id: uuid.UUID, delivery_id: str, caller: Caller) -> Delivery:
        """Send a delivered or failed delivery again (the same webhook-id), due now."""
        job = await _job(job_id, caller)
        replayed = await repository.replay(job, delivery_id)
        if replayed is None:
            if not await repository.exists(job, delivery_id):
                raise NotFound(f"Job {job_id} has no delivery {echo(delivery_id)}.", [FieldError("delivery_id", "no such delivery")])
            raise Conflict(f"Delivery {delivery_id} is still on its way; only a delivered or failed one can be replayed.")
        self.dispatcher.wake()
        return replayed

    async def secret(self, caller: Caller) -> WebhookSecret:
        """What the caller's jobs' deliveries are signed with: its key's secret, or the server's."""
        own = await repository.key_secret(caller.name) if caller.name is not None else None
        return WebhookSecret(secret=own or self.dispatcher.server_secret)


async def _job(job_id: uuid.UUID, caller: Caller) -> Job:
    job = await jobs.get(job_id, owner=caller.scope)
    if job is None:  # someone else's is as absent as a deleted one
        raise NotFound(f"No job with id {job_id}.", [FieldError("id", "no such job")])
    return job
