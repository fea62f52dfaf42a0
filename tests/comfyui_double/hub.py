"""WebSocket fan-out: who gets which frame, and the binary frame layouts (README "WebSocket messages")."""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

from litestar import WebSocket

# Binary event types (first u32 of a binary frame).
PREVIEW_IMAGE = 1
TEXT = 3
PREVIEW_IMAGE_WITH_METADATA = 4
_IMAGE_FORMAT_CODES = {"JPEG": 1, "PNG": 2}
_MIMETYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


def encode_json(event: str, data: Any) -> str:
    # json.dumps with default separators: byte-identical to aiohttp's send_json.
    return json.dumps({"type": event, "data": data})


def preview_frame(fmt: str, image: bytes) -> bytes:
    return struct.pack(">II", PREVIEW_IMAGE, _IMAGE_FORMAT_CODES[fmt]) + image


def preview_metadata_frame(fmt: str, image: bytes, metadata: dict[str, Any]) -> bytes:
    meta = json.dumps({**metadata, "image_type": _MIMETYPES[fmt]}).encode()
    return struct.pack(">II", PREVIEW_IMAGE_WITH_METADATA, len(meta)) + meta + image


def text_frame(node_id: str, text: str) -> bytes:
    node = node_id.encode()
    return struct.pack(">II", TEXT, len(node)) + node + text.encode()


class Connection:
    """One accepted socket; frames go through a queue so producers never wait on the network."""

    def __init__(self, socket: WebSocket) -> None:
        self.socket = socket
        self._frames: asyncio.Queue[str | bytes] = asyncio.Queue()

    def push(self, frame: str | bytes) -> None:
        self._frames.put_nowait(frame)

    async def write_forever(self) -> None:
        try:
            while True:
                frame = await self._frames.get()
                if isinstance(frame, str):
                    await self.socket.send_text(frame)
                else:
                    await self.socket.send_bytes(frame)
        except Exception:
            return  # the client went away; the endpoint unregisters it


class Hub:
    def __init__(self) -> None:
        # clientId -> socket. A second socket with the same clientId replaces the first, which
        # stays open but gets nothing more (capture 14).
        self.sockets: dict[str, Connection] = {}
        self.feature_flags: dict[str, dict[str, Any]] = {}

    def register(self, sid: str, conn: Connection) -> None:
        self.sockets[sid] = conn
        self.feature_flags[sid] = {}

    def unregister(self, sid: str) -> None:
        # Like ComfyUI's `finally: self.sockets.pop(sid)`: closing a replaced socket also
        # unregisters the socket that took over its clientId.
        self.sockets.pop(sid, None)
        self.feature_flags.pop(sid, None)

    def supports_preview_metadata(self, sid: str | None) -> bool:
        return sid is not None and self.feature_flags.get(sid, {}).get("supports_preview_metadata", False) is True

    def send(self, frame: str | bytes, sid: str | None) -> None:
        """sid None = every socket; otherwise that client only (dropped if not connected)."""
        if sid is None:
            for conn in list(self.sockets.values()):
                conn.push(frame)
        elif sid in self.sockets:
            self.sockets[sid].push(frame)

    def send_json(self, event: str, data: Any, sid: str | None) -> None:
        self.send(encode_json(event, data), sid)
