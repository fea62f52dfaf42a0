"""Shared helpers for the double's tests: recorded data, a WebSocket recorder, compact frame labels."""

from __future__ import annotations

import asyncio
import base64
import copy
import io
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import websockets
from PIL import Image

DATA = Path(__file__).resolve().parents[2] / "data" / "comfyui"
BINARY_NAMES = {1: "PREVIEW_IMAGE", 3: "TEXT", 4: "PREVIEW_IMAGE_WITH_METADATA"}

Frame = dict[str, Any] | bytes


def capture(name: str) -> dict[str, Any]:
    return json.loads((DATA / "captures" / f"{name}.json").read_text())


def workflow(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((DATA / "workflows" / f"{name}.json").read_text()))


def png_bytes(width: int, height: int, color: tuple[int, int, int] = (10, 20, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="PNG")
    return buf.getvalue()


def label(frame: Frame) -> str:
    """A frame in the recorder's ws_sequence notation, e.g. "status(q=1)", "executing(node='2')"."""
    if isinstance(frame, bytes):
        return "BINARY:" + BINARY_NAMES[struct.unpack(">I", frame[:4])[0]]
    kind, data = frame["type"], frame["data"]
    if kind == "status":
        return f"status(q={data['status']['exec_info']['queue_remaining']})"
    if kind in ("executing", "executed"):
        return f"{kind}(node={data['node']!r})"
    if kind == "progress":
        return f"progress({data['value']}/{data['max']})"
    return kind


def compact(frames: list[Frame]) -> list[str]:
    out: list[list[Any]] = []
    for lab in map(label, frames):
        if out and out[-1][0] == lab:
            out[-1][1] += 1
        else:
            out.append([lab, 1])
    return [lab if n == 1 else f"{lab} x{n}" for lab, n in out]


def recorded_frames(cap: dict[str, Any], socket: str | None = None) -> list[Frame]:
    """Frames a capture's socket received, in the same form as Recorder.frames."""
    frames: list[Frame] = []
    for e in cap["events"]:
        if e["dir"] == "ws_in" and (socket is None or e["socket"] == socket):
            if e["frame"] == "text":
                frames.append(e["message"])
            elif "base64" in e["binary"]:
                frames.append(base64.b64decode(e["binary"]["base64"]))
            else:  # frames over 4 KiB are stored without their bytes; the header is enough to label them
                frames.append(bytes.fromhex(e["binary"]["first16_hex"]))
    return frames


class Recorder:
    """Reads one WebSocket in the background and keeps every frame (JSON parsed, binary as bytes)."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Frame] = []
        self.closed: Exception | None = None
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, base_ws_url: str, client_id: str | None = None, feature_flags: bool = False) -> Recorder:
        url = base_ws_url + (f"?clientId={client_id}" if client_id else "")
        ws = await websockets.connect(url, max_size=None)
        if feature_flags:
            await ws.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
        rec = cls(ws)
        await rec.wait_for(lambda f: isinstance(f, dict) and f["type"] == "status")
        return rec

    async def _read(self) -> None:
        try:
            async for msg in self.ws:
                self.frames.append(json.loads(msg) if isinstance(msg, str) else msg)
                self._changed.set()
        except Exception as ex:  # ConnectionClosedError when the server dies
            self.closed = ex
        else:
            self.closed = websockets.ConnectionClosedOK(self.ws.close_rcvd, self.ws.close_sent)
        self._changed.set()

    async def wait_for(self, predicate: Callable[[Frame], bool], timeout: float = 5.0, start: int = 0) -> Frame:
        async def scan() -> Frame:
            i = start
            while True:
                while i < len(self.frames):
                    if predicate(self.frames[i]):
                        return self.frames[i]
                    i += 1
                if self.closed is not None:
                    raise AssertionError(f"socket closed ({self.closed!r}) before the expected frame")
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(scan(), timeout)

    async def wait_done(self, prompt_id: str, timeout: float = 5.0) -> None:
        """Until the terminal executing(node=null) of this prompt."""
        done = {"node": None, "prompt_id": prompt_id}
        await self.wait_for(lambda f: is_json(f, "executing") and f["data"] == done, timeout)

    async def wait_closed(self, timeout: float = 5.0) -> Exception:
        await asyncio.wait_for(self._task, timeout)
        assert self.closed is not None
        return self.closed

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if is_json(f, kind)]  # type: ignore[misc]

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._task, return_exceptions=True)


def is_json(frame: Frame, kind: str) -> bool:
    return isinstance(frame, dict) and frame["type"] == kind
