"""Wire types of webhooks: what a job asks for, and what GET /api/jobs/{id}/deliveries shows.

Imports nothing of Studio's, so the jobs schema (the base layer) can name `WebhookTarget`.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

import msgspec

# The job events a webhook may be sent for: its start, and each way it can end.
WebhookEvent = Literal["job.processing", "job.finished", "job.failed", "job.cancelled"]
END_EVENTS: tuple[WebhookEvent, ...] = ("job.finished", "job.failed", "job.cancelled")

WebhookUrl = Annotated[str, msgspec.Meta(min_length=8, max_length=2000, pattern=r"^https?://")]


class WebhookTarget(msgspec.Struct, forbid_unknown_fields=True):
    """Where a job's events are POSTed, and which of them (by default its end, however it ends)."""

    url: WebhookUrl
    events: Annotated[list[WebhookEvent], msgspec.Meta(min_length=1, max_length=4)] = msgspec.field(
        default_factory=lambda: list(END_EVENTS)
    )


DeliveryState = Literal["waiting", "pending", "delivered", "failed"]


class Delivery(msgspec.Struct, kw_only=True):
    """One event of one job on its way to the job's webhook.

    `waiting`: the event has not happened yet (a job still queued); `pending`: due or being
    retried (`next_try_at`); `delivered`: a 2xx came back; `failed`: retries ran out."""

    # The `webhook-id` header: the same on every attempt, so receivers can drop repeats.
    id: str
    job_id: uuid.UUID
    event: WebhookEvent
    url: str
    state: DeliveryState
    attempts: int
    next_try_at: datetime.datetime | None
    # The receiver's last HTTP status, or why there was none (a timeout, a refused address).
    last_status: int | None
    last_error: str | None
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None


class DeliveryList(msgspec.Struct, kw_only=True):
    items: list[Delivery]


class WebhookSecret(msgspec.Struct, kw_only=True):
    """The secret the caller's deliveries are signed with (`whsec_` + base64), for the receiver."""

    secret: str
