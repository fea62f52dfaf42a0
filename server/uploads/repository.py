"""Upload rows."""

from __future__ import annotations

from typing import Any

from server.db.tables import Upload as UploadRow


async def insert(values: dict[str, Any]) -> None:
    await UploadRow.insert(UploadRow(**values))


async def existing_names(names: list[str]) -> set[str]:
    if not names:
        return set()
    rows = await UploadRow.select(UploadRow.name).where(
        UploadRow.name.is_in(names) & (UploadRow.is_deleted == False)  # noqa: E712
    )
    return {row["name"] for row in rows}
