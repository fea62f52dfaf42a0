"""Upload rows: every query against the uploads table. Each sees live rows only (`live()`)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Sum

from server.db.tables import Upload as UploadRow


def live(owner: str | None = None) -> Combinable:
    """The uploads Studio still has (not deleted), of `owner` only when given: part of every
    query's condition."""
    condition = UploadRow.is_deleted == False  # noqa: E712 - Piccolo builds SQL from the comparison
    return condition if owner is None else condition & (UploadRow.owner == owner)


async def insert(values: dict[str, Any]) -> None:
    await UploadRow.insert(UploadRow(**values))


async def stored_bytes(owner: str) -> int:
    """The bytes of the owner's stored uploads."""
    rows = await UploadRow.select(Sum(UploadRow.size_bytes)).where(live(owner))
    return int(rows[0]["sum"] or 0)  # PostgreSQL sums a bigint as numeric; nothing sums to NULL


async def oldest(owner: str) -> datetime.datetime | None:
    """When the owner's oldest stored upload was made."""
    row = await UploadRow.select(UploadRow.created_at).where(live(owner)).order_by(UploadRow.created_at).first()
    return row["created_at"] if row else None


async def digests(names: list[str], *, owner: str | None = None) -> dict[str, str]:
    """The uploads among `names` that exist (and are `owner`'s, when given), each with the
    sha256 of its bytes."""
    if not names:
        return {}
    rows = await UploadRow.select(UploadRow.name, UploadRow.sha256).where(UploadRow.name.is_in(names) & live(owner))
    return {row["name"]: row["sha256"] for row in rows}


async def created_before(cutoff: datetime.datetime) -> list[tuple[uuid.UUID, str]]:
    """(id, stored name) of the uploads older than `cutoff` (retention)."""
    rows = await UploadRow.select(UploadRow.id, UploadRow.name).where(live() & (UploadRow.created_at < cutoff))
    return [(row["id"], row["name"]) for row in rows]


async def soft_delete(upload_id: uuid.UUID) -> None:
    await UploadRow.update({UploadRow.is_deleted: True}).where((UploadRow.id == upload_id) & live())
