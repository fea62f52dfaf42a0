"""Preset rows: every query against the presets table, each one for a single owner.

A preset's owner is the key name that saved it, or "" while Studio runs open (tables.py says why
not NULL): presets are personal, so even an admin sees only its own.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg
from piccolo.custom_types import Combinable

from server.db.tables import Preset as PresetRow
from server.presets.schemas import Preset

UNIQUE_VIOLATIONS = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)


class NameTaken(Exception):
    """The owner has a preset of that name already (the database's unique index says so)."""


def _stored(owner: str | None) -> str:
    return owner or ""


def live(owner: str | None) -> Combinable:
    """The presets of `owner` (a caller's name; None while Studio runs open): part of every query."""
    return PresetRow.owner == _stored(owner)


def _to_preset(row: dict[str, Any]) -> Preset:
    return Preset(
        name=row["name"], workflow=row["workflow"], params=row["params"], style=row["style"],
        owner=row["owner"] or None, created_at=row["created_at"],
    )


async def insert(owner: str | None, name: str, workflow: str, params: dict[str, Any], style: str | None) -> Preset:
    """Raises NameTaken when `owner` has a preset named `name`."""
    try:
        await PresetRow.insert(PresetRow(owner=_stored(owner), name=name, workflow=workflow, params=params, style=style))
    except UNIQUE_VIOLATIONS:
        raise NameTaken(name) from None
    found = await get(owner, name)
    assert found is not None
    return found


async def get(owner: str | None, name: str) -> Preset | None:
    row = await PresetRow.select().where(live(owner) & (PresetRow.name == name)).output(load_json=True).first()
    return _to_preset(row) if row else None


async def of_owner(owner: str | None) -> list[Preset]:
    """The owner's presets, by name."""
    rows = await PresetRow.select().where(live(owner)).order_by(PresetRow.name).output(load_json=True)
    return [_to_preset(row) for row in rows]


async def delete(owner: str | None, name: str) -> bool:
    """Whether there was such a preset."""
    rows = await PresetRow.delete().where(live(owner) & (PresetRow.name == name)).returning(PresetRow.id)
    return bool(rows)
