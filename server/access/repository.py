"""Key rows: every query against the api_keys table."""

from __future__ import annotations

import datetime
import sqlite3
import uuid
from typing import Any

import asyncpg
import msgspec

from server.access.schemas import ApiKeyInfo, KeyLimits, Role
from server.access.tokens import StoredSecret, Token
from server.clock import utc_now
from server.db.tables import ApiKey as KeyRow

LIMIT_COLUMNS = tuple(KeyLimits.__struct_fields__)
UNIQUE_VIOLATIONS = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)


class StoredKey(msgspec.Struct, kw_only=True, frozen=True):
    info: ApiKeyInfo
    secret: StoredSecret


def _to_info(row: dict[str, Any]) -> ApiKeyInfo:
    limits = KeyLimits(**{name: row[name] for name in LIMIT_COLUMNS})
    return msgspec.convert({**row, "limits": limits}, ApiKeyInfo, from_attributes=True, strict=False)


class NameTaken(Exception):
    """An active key has the name already (the database's unique index says so)."""


async def insert(
    name: str, role: Role, limits: KeyLimits, token: Token, secret: StoredSecret, *,
    webhook_url: str | None = None, webhook_secret: str | None = None,
) -> ApiKeyInfo:
    """Raises NameTaken while an active key has `name`."""
    row = KeyRow(
        name=name, role=role, prefix=token.prefix, salt=secret.salt, key_hash=secret.key_hash,
        webhook_url=webhook_url, webhook_secret=webhook_secret, **msgspec.structs.asdict(limits),
    )
    try:
        await KeyRow.insert(row)
    except UNIQUE_VIOLATIONS:
        raise NameTaken(name) from None
    found = await by_prefix(token.prefix)
    assert found is not None
    return found.info


async def by_prefix(prefix: str) -> StoredKey | None:
    row = await KeyRow.select().where(KeyRow.prefix == prefix).first()
    if row is None:
        return None
    return StoredKey(info=_to_info(row), secret=StoredSecret(row["salt"], row["key_hash"]))


async def listed() -> list[ApiKeyInfo]:
    """Every key, revoked ones too, oldest first."""
    return [_to_info(row) for row in await KeyRow.select().order_by(KeyRow.created_at)]


async def active_named(name: str) -> ApiKeyInfo | None:
    row = await KeyRow.select().where((KeyRow.name == name) & KeyRow.revoked_at.is_null()).first()
    return _to_info(row) if row else None


async def any_exist() -> bool:
    """Whether a key was ever made: from then on every request needs one (revoked keys count)."""
    return await KeyRow.exists().where(KeyRow.id.is_not_null())


async def revoke(key_id: uuid.UUID) -> ApiKeyInfo | None:
    """Revoke the key (once); the key as revoked, or None when it was already or does not exist."""
    rows = await KeyRow.update({KeyRow.revoked_at: utc_now()}).where(
        (KeyRow.id == key_id) & KeyRow.revoked_at.is_null()
    ).returning(*KeyRow.all_columns())
    return _to_info(rows[0]) if rows else None


async def revoked_since(since: datetime.datetime) -> list[ApiKeyInfo]:
    rows = await KeyRow.select().where(KeyRow.revoked_at >= since)
    return [_to_info(row) for row in rows]


async def touch(key_id: uuid.UUID) -> None:
    await KeyRow.update({KeyRow.last_used_at: utc_now()}).where(KeyRow.id == key_id)


async def by_id(key_id: uuid.UUID) -> ApiKeyInfo | None:
    row = await KeyRow.select().where(KeyRow.id == key_id).first()
    return _to_info(row) if row else None


async def latest_named(name: str) -> ApiKeyInfo | None:
    """The key named `name` made last: the active one when there is one (a name is given to a new
    key only once its last key is revoked), else the last revoked."""
    row = await KeyRow.select().where(KeyRow.name == name).order_by(KeyRow.created_at, ascending=False).first()
    return _to_info(row) if row else None
