"""A real local WebSocket server that plays recorded frames to a ComfySession.

Each client connection plays the next Segment. The first frame a client sends is kept (the
session must announce feature_flags). GET requests on other paths are answered from
`http` (Answers there are given in turn), enough for the session's /history and /queue
reconciliation.
"""

from __future__ import annotations

import asyncio
import http
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from tests.unit.comfy.captures import Frame


class Answers:
    """Bodies for one path, given in turn; the last one repeats."""

    def __init__(self, *bodies: Any) -> None:
        self._bodies = list(bodies)

    def next(self) -> Any:
        return self._bodies.pop(0) if len(self._bodies) > 1 else self._bodies[0]


@dataclass
class Segment:
    frames: list[Frame]
    # Frames sent right after connecting; the rest wait for `gate` when there is one (the test
    # opens it once its followers are registered, as a real server waits for POST /prompt).
    greeting: int = 1
    gate: asyncio.Event | None = None
    # After the last frame: "stay" open, "close" normally, or "drop" the TCP connection
    # without a close frame (a killed server: the client sees 1006).
    end: Literal["stay", "close", "drop"] = "stay"


@dataclass
class ReplayServer:
    segments: list[Segment]
    http: dict[str, Any] = field(default_factory=dict)
    refuse_reconnects: int = 0  # handshakes after the first one answered 503 (server down)
    first_frames: list[Any] = field(default_factory=list)
    http_paths: list[str] = field(default_factory=list)
    port: int = 0
    _accepted: int = 0
    _connections: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path.startswith("/ws"):
            if self._accepted and self.refuse_reconnects > 0:
                self.refuse_reconnects -= 1
                return connection.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "down\n")
            self._accepted += 1
            return None
        self.http_paths.append(request.path)
        if request.path not in self.http:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "")
        body = self.http[request.path]
        if isinstance(body, Answers):
            body = body.next()
        return connection.respond(http.HTTPStatus.OK, json.dumps(body))

    async def _handler(self, ws: ServerConnection) -> None:
        index = self._connections
        self._connections += 1
        if index >= len(self.segments):
            await ws.wait_closed()
            return
        segment = self.segments[index]
        self.first_frames.append(json.loads(await ws.recv()))
        for frame in segment.frames[: segment.greeting]:
            await ws.send(frame)
        if segment.gate is not None:
            await segment.gate.wait()
        for frame in segment.frames[segment.greeting :]:
            await ws.send(frame)
        if segment.end == "drop":
            while ws.transport.get_write_buffer_size():
                await asyncio.sleep(0.001)
            ws.transport.abort()
        elif segment.end == "close":
            await ws.close()
        else:
            await ws.wait_closed()


@asynccontextmanager
async def replay_server(
    segments: list[Segment], http: dict[str, Any] | None = None, refuse_reconnects: int = 0
) -> AsyncIterator[ReplayServer]:
    server = ReplayServer(segments, http or {}, refuse_reconnects)
    async with serve(server._handler, "127.0.0.1", 0, process_request=server._process_request) as ws_server:
        server.port = ws_server.sockets[0].getsockname()[1]
        yield server
