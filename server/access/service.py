"""Key use cases: make a key, list them, revoke one; each make and revoke is audited.

Rotating a key: revoke it, then create a key of the same name. A name belongs to one active key
at a time, and a revoked key's name may be given to a new key, which owns the old one's jobs
and uploads (ownership goes by name).
"""

from __future__ import annotations

import uuid

from server.access import audit, repository, tokens
from server.access.schemas import ApiKeyInfo, Caller, KeyCreate, KeyCreated
from server.errors import Conflict, NotFound, echo
from server.webhooks import signing


class KeyService:
    async def create(self, request: KeyCreate, actor: Caller | str) -> KeyCreated:
        """Conflict while an active key has the name (a revoked key's name may be reused)."""
        token = tokens.new_token()
        webhook_secret = signing.new_secret()  # the key's own: its receivers need no other key's
        try:
            info = await repository.insert(
                request.name, request.role, request.limits, token, tokens.stored(token),
                webhook_url=request.webhook_url, webhook_secret=webhook_secret,
            )
        except repository.NameTaken:
            active = await repository.active_named(request.name)
            held_by = f"The API key {request.name!r}" + (f" ({active.prefix})" if active else "")
            revoke = f"POST /api/keys/{active.id}/revoke" if active else "POST /api/keys/<id>/revoke"
            raise Conflict(
                f"{held_by} is active; to rotate it, revoke it first "
                f"(`studio keys revoke {request.name}` or {revoke}), or choose another name."
            ) from None
        audit.record(actor, "create key", _target(info))
        return KeyCreated(key=token.text, info=info, webhook_secret=webhook_secret)

    async def list(self) -> list[ApiKeyInfo]:
        """Every key, revoked ones too, oldest first."""
        return await repository.listed()

    async def revoke(self, ref: str, actor: Caller | str) -> ApiKeyInfo:
        """Revoke the key `ref` names: its id, its name (the active key of that name), or its prefix.
        It stops working at once; its row stays, so its jobs keep their owner."""
        found = await _find(ref)
        if found is None:
            raise NotFound(f"No API key has the name, prefix or id {echo(ref)}; `studio keys list` lists them.")
        revoked = await repository.revoke(found.id) if found.revoked_at is None else None
        if revoked is None:  # revoked before, or by someone else meanwhile
            raise Conflict(f"The API key {found.name!r} ({found.prefix}) is already revoked.")
        audit.record(actor, "revoke key", _target(revoked))
        return revoked


async def _find(ref: str) -> ApiKeyInfo | None:
    if (key_id := _as_uuid(ref)) and (by_id := await repository.by_id(key_id)):
        return by_id
    if named := await repository.latest_named(ref):
        return named
    stored = await repository.by_prefix(ref)
    return stored.info if stored else None


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _target(info: ApiKeyInfo) -> str:
    return f"{info.name} ({info.prefix})"
