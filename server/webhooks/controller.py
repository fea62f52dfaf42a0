"""/api/jobs/{id}/deliveries and /api/webhooks/secret: a job's webhook deliveries, their replay,
and the secret a receiver verifies signatures with."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, PathParameter

from server.access.schemas import Caller
from server.errors import error_responses
from server.webhooks.schemas import Delivery, DeliveryList, WebhookSecret
from server.webhooks.service import WebhookService

Webhooks = NamedDependency[WebhookService]
Me = NamedDependency[Caller]
DeliveryId = Annotated[str, PathParameter(max_length=40, description="The delivery's id: its webhook-id header")]


class WebhookController(Controller):
    path = "/api"
    tags = ["webhooks"]

    @get("/jobs/{job_id:uuid}/deliveries", summary="A job's webhook deliveries", responses=error_responses(404))
    async def list_deliveries(self, job_id: FromPath[uuid.UUID], webhooks: Webhooks, caller: Me) -> DeliveryList:
        return await webhooks.deliveries(job_id, caller)

    @post(
        "/jobs/{job_id:uuid}/deliveries/{delivery_id:str}/replay",
        status_code=200,
        summary="Send a delivered or failed delivery again",
        description="Due again now, with the same webhook-id and body; its attempts go on counting and its retries "
        "start over. 409 while it is still on its way.",
        responses=error_responses(404, 409),
    )
    async def replay_delivery(self, job_id: FromPath[uuid.UUID], delivery_id: DeliveryId, webhooks: Webhooks, caller: Me) -> Delivery:
        return await webhooks.replay(job_id, delivery_id, caller)

    @get("/webhooks/secret", summary="The secret your jobs' deliveries are signed with", responses=error_responses())
    async def webhook_secret(self, webhooks: Webhooks, caller: Me) -> WebhookSecret:
        return await webhooks.secret(caller)
