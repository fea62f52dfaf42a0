"""/api/keys: admins make, list and revoke API keys (as `studio keys` does on the database)."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from server.access.guards import admin_only
from server.access.schemas import ApiKeyInfo, Caller, KeyCreate, KeyCreated
from server.access.service import KeyService
from server.errors import error_responses

Keys = NamedDependency[KeyService]
Me = NamedDependency[Caller]


class KeyController(Controller):
    path = "/api/keys"
    tags = ["keys"]
    guards = [admin_only]

    @get("/", summary="Every API key, revoked ones too, oldest first (never a secret)", responses=error_responses(403))
    async def list_keys(self, keys: Keys) -> list[ApiKeyInfo]:
        return await keys.list()

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Make a key",
        description="The answer's `key` is shown this once: Studio keeps only a hash of it. A name may be given to "
        "a new key once its last key is revoked, which is how a key is rotated (409 while it is active).",
        responses=error_responses(403, 409),
    )
    async def create_key(self, data: JSONBody[KeyCreate], keys: Keys, caller: Me) -> KeyCreated:
        return await keys.create(data, caller)

    @post(
        "/{key_id:uuid}/revoke",
        status_code=200,
        summary="Revoke a key",
        description="The key stops working at once: its next request gets 401. "
        "Its row stays in the list, and its jobs keep their owner.",
        responses=error_responses(403, 404, 409),
    )
    async def revoke_key(self, key_id: FromPath[uuid.UUID], keys: Keys, caller: Me) -> ApiKeyInfo:
        return await keys.revoke(str(key_id), caller)
