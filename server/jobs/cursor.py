"""Opaque keyset cursors for the history: the (created_at, id) of the last row on a page."""

from __future__ import annotations

import base64
import datetime
import uuid

import msgspec

from server.errors import BadRequest, FieldError


class Cursor(msgspec.Struct, array_like=True, frozen=True):
    created_at: datetime.datetime
    id: uuid.UUID


def encode_cursor(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return msgspec.json.decode(raw, type=Cursor)
    except (ValueError, msgspec.DecodeError):
        error = FieldError("cursor", "is not a cursor this server gave out; use next_cursor from the previous page")
        raise BadRequest.from_fields([error]) from None
