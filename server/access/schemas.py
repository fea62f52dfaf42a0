"""Wire types of API keys, and the caller every request acts as."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

import msgspec

from server.webhooks.schemas import WebhookUrl

Role = Literal["admin", "user"]
# Key names become job owners and appear in logs and URLs: short and plain.
KeyName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")]
Count = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class KeyLimits(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=False):
    """A key's limits; null means no limit."""

    # Jobs queued or running at once.
    max_queued: Count | None = None
    # Submissions (jobs and remixes) in any 60 seconds.
    submits_per_minute: Count | None = None
    # The run time of the key's jobs per UTC day, in minutes.
    gpu_minutes_per_day: Count | None = None
    # The bytes of the key's stored uploads.
    upload_bytes: Annotated[int, msgspec.Meta(ge=1)] | None = None
    # Higher runs first; keys of equal priority take turns (the fair queue).
    priority: Annotated[int, msgspec.Meta(ge=-100, le=100)] = 0


class ApiKeyInfo(msgspec.Struct, kw_only=True):
    """An API key as listed: never its secret."""

    id: uuid.UUID
    name: str
    role: Role
    # The start of the key, to tell keys apart: `studio_<prefix>_...`.
    prefix: str
    limits: KeyLimits
    # Where the key's jobs POST their end when a submit names no webhook (server/webhooks/).
    webhook_url: str | None = None
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class KeyCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: KeyName
    role: Role = "user"
    limits: KeyLimits = KeyLimits()
    # The key's default webhook: its jobs' end is POSTed there when a submit names none.
    webhook_url: WebhookUrl | None = None


class KeyCreated(msgspec.Struct, kw_only=True):
    """The new key; `key` is shown this once and never stored."""

    key: str
    info: ApiKeyInfo
    # What the key's webhook deliveries are signed with (`whsec_` + base64), for its receivers;
    # GET /api/webhooks/secret shows it again.
    webhook_secret: str | None = None


class Caller(msgspec.Struct, kw_only=True, frozen=True):
    """Whom a request acts for: a key, or everyone while Studio runs open (no keys, loopback)."""

    # The key's name, which owns what the caller makes; None while Studio runs open.
    name: str | None
    role: Role
    key_id: uuid.UUID | None = None
    limits: KeyLimits = KeyLimits()
    # The key's default webhook, for submits that name none.
    webhook_url: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def scope(self) -> str | None:
        """The owner whose rows this caller may see; None for all of them (admins, open mode)."""
        return None if self.is_admin else self.name

    def sees(self, owner: str | None) -> bool:
        return self.scope is None or owner == self.scope


# Studio without keys on a loopback address: one user on their own machine, who may do anything.
OPEN = Caller(name=None, role="admin")


class Me(msgspec.Struct, kw_only=True):
    """GET /api/me: the caller as Studio sees it, for clients to adapt (an admin's TUI shows owners)."""

    # The key's name; null while Studio runs open.
    name: str | None
    role: Role
    limits: KeyLimits
    # Whether Studio asks for a key at all (false: it runs open, every client may do anything).
    keys_required: bool
