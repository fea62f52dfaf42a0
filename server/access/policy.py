"""When Studio asks for a key, and which caller a key stands for.

Studio runs open (every request acts as `OPEN`) only while no key was ever made and it listens
on a loopback address, or when `--insecure-open` says so for a wider address without keys. From
the first key on, every route but /health needs one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
import uuid

from server.access import repository, sessions, tokens
from server.access.schemas import OPEN, ApiKeyInfo, Caller
from server.access.sessions import StoredSession
from server.config import Settings
from server.errors import Unauthorized

log = logging.getLogger("studio.access")

# last_used_at (a session's last_seen_at) is written at most this often per key (session) and process.
TOUCH_SECONDS = 60.0
NO_KEY = (
    "Studio wants an API key: send it as 'Authorization: Bearer <key>' (or ?token=<key> on a WebSocket). "
    "An admin makes keys with `studio keys create NAME`."
)

SESSION_ENDED = (
    "This browser's session has ended (signed out, or older than STUDIO_SESSION_HOURS): "
    "sign in again with your API key (POST /api/session)."
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class AccessPolicy:
    def __init__(self, settings: Settings) -> None:
        self.loopback = is_loopback(settings.host)
        self.insecure_open = settings.insecure_open
        self._keys_exist = False  # once true, stays true: keys are revoked, never removed
        self._looking: asyncio.Future[bool] | None = None  # the look for a first key under way
        self._touched: dict[uuid.UUID, float] = {}

    async def keys_required(self) -> bool:
        """Whether requests need a key. Until a key exists it is looked for on every request:
        another process (`studio keys create`) may make the first one, and it applies to the
        next request. Requests that arrive while a look is under way share its answer, so under
        load the look costs one query per round trip, not per request, and a key made during a
        look applies from the next one (a query's time, well under a millisecond)."""
        if self._keys_exist or not (self.loopback or self.insecure_open):
            return True
        if self._looking is None:
            self._looking = asyncio.ensure_future(repository.any_exist())
            self._looking.add_done_callback(self._looked)
        return await asyncio.shield(self._looking)

    def _looked(self, look: asyncio.Future[bool]) -> None:
        self._looking = None
        if not look.cancelled() and look.exception() is None:
            self._keys_exist = look.result()

    async def caller(self, key: str | None) -> Caller:
        """The caller `key` stands for (OPEN while no key is needed); Unauthorized with a
        sentence for a missing, unknown or revoked key."""
        if not await self.keys_required():
            return OPEN
        if not key:
            raise Unauthorized(NO_KEY)
        token = tokens.parse(key)
        found = await repository.by_prefix(token.prefix) if token else None
        if token is None or found is None or not tokens.matches(token, found.secret):
            raise Unauthorized("This API key is not one Studio knows: check it was copied whole, or ask an admin for one.")
        return await self._caller_of(found.info)

    async def session_caller(self, token: str) -> tuple[Caller, StoredSession]:
        """The caller a browser's session cookie stands for (its key's), and the session;
        Unauthorized with a sentence when the session has ended or its key was revoked."""
        session = await sessions.find(token)
        info = await repository.by_id(session.key_id) if session else None
        if session is None or info is None:
            raise Unauthorized(SESSION_ENDED)
        if self._due(session.id):
            await sessions.touch(session.id)
        return await self._caller_of(info), session

    async def _caller_of(self, info: ApiKeyInfo) -> Caller:
        """The caller of a key found in the database; Unauthorized when it was revoked."""
        if info.revoked_at is not None:
            raise Unauthorized(
                f"The API key {info.name!r} ({info.prefix}) was revoked on {info.revoked_at:%Y-%m-%d %H:%M} UTC; "
                "ask an admin for a new one."
            )
        await self._touch(info.id)
        return Caller(name=info.name, role=info.role, key_id=info.id, limits=info.limits, webhook_url=info.webhook_url)

    async def _touch(self, key_id: uuid.UUID) -> None:
        if self._due(key_id):
            await repository.touch(key_id)

    def _due(self, row_id: uuid.UUID) -> bool:
        """Whether a key's or session's last use is to be written now (once a TOUCH_SECONDS per process)."""
        now = time.monotonic()
        if now - self._touched.get(row_id, -TOUCH_SECONDS) < TOUCH_SECONDS:
            return False
        self._touched[row_id] = now
        return True
