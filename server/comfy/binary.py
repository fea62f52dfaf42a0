"""Binary WebSocket frames: a big-endian u32 event type, then a type-specific payload."""

from __future__ import annotations

import struct

import msgspec

PREVIEW_IMAGE = 1
TEXT = 3
PREVIEW_IMAGE_WITH_METADATA = 4

_IMAGE_FORMATS = {1: "image/jpeg", 2: "image/png"}
_U32 = struct.Struct(">I")


class PreviewImage(msgspec.Struct, frozen=True):
    """Type 1 carries no ids at all; type 4 names its node and prompt."""

    image: bytes
    mime: str
    node_id: str | None = None
    prompt_id: str | None = None


class ProgressText(msgspec.Struct, frozen=True):
    """Type 3: text a node shows while running (broadcast to all sockets, no prompt id)."""

    node_id: str
    text: str


class UnknownBinary(msgspec.Struct, frozen=True):
    event_type: int


BinaryFrame = PreviewImage | ProgressText | UnknownBinary


class _PreviewMetadata(msgspec.Struct):
    node_id: str | None = None
    prompt_id: str | None = None
    image_type: str = "image/png"


_metadata_decoder = msgspec.json.Decoder(_PreviewMetadata)


def _u32(frame: memoryview, offset: int) -> int:
    if len(frame) < offset + 4:
        raise ValueError(f"binary frame truncated at byte {offset}")
    return _U32.unpack_from(frame, offset)[0]


def _slice(frame: memoryview, start: int, length: int) -> memoryview:
    if len(frame) < start + length:
        raise ValueError(f"binary frame declares {length} bytes at {start}, has {len(frame)}")
    return frame[start : start + length]


def decode_binary(data: bytes) -> BinaryFrame:
    """Decode one binary frame; raises ValueError when it is truncated or malformed."""
    frame = memoryview(data)
    event = _u32(frame, 0)
    if event == PREVIEW_IMAGE:
        fmt = _u32(frame, 4)
        return PreviewImage(bytes(frame[8:]), _IMAGE_FORMATS.get(fmt, "application/octet-stream"))
    if event == TEXT:
        size = _u32(frame, 4)
        node_id = bytes(_slice(frame, 8, size)).decode()
        return ProgressText(node_id, bytes(frame[8 + size :]).decode())
    if event == PREVIEW_IMAGE_WITH_METADATA:
        size = _u32(frame, 4)
        try:
            meta = _metadata_decoder.decode(_slice(frame, 8, size))
        except msgspec.DecodeError as exc:
            raise ValueError(f"bad preview metadata: {exc}") from exc
        return PreviewImage(bytes(frame[8 + size :]), meta.image_type, meta.node_id, meta.prompt_id)
    return UnknownBinary(event)
