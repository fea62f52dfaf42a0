"""The WebSocket protocol `studio serve` gives uvicorn: its websockets-sansio one, minus two flaws
(uvicorn 0.54, websockets 17).

- websockets refuses an upgrade whose request line or a header line is over 8 KB (or that has
  over 128 headers) by preparing a 414 / 431 answer (an unreadable request: just an end of
  stream), but `data_received` writes websockets' output only once a whole request was parsed,
  so the client got no answer and waited forever.
- A refusal sent as an HTTP answer (the ASGI denial-response extension, see server/http/guard.py)
  left the handshake marked incomplete, so every refusal also logged "ASGI callable returned
  without completing handshake." at ERROR (https://github.com/Kludex/uvicorn/pull/3138).

And one addition: the FRAMES scope extension, a FrameWriter that writes a frame built once for
every subscriber of an event (`text_frame`) straight to the socket's transport, so an event to
1,000 sockets is not 1,000 trips through Litestar's and uvicorn's send layers (server/events).
"""

from __future__ import annotations

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN

from server.events.schemas import CLOSE_GOING_AWAY

GOING_AWAY_REASON = "Studio is shutting down."
# The scope extension holding the socket's FrameWriter (absent where the server is not uvicorn
# with this protocol, as in Litestar's TestClient, or where an extension such as
# permessage-deflate was negotiated: frames built once cannot be compressed per socket).
FRAMES = "studio.frames"


def text_frame(data: bytes) -> bytes:
    """A whole server-to-client text frame (unmasked, no extension) carrying `data` (UTF-8)."""
    return Frame(Opcode.TEXT, data).serialize(mask=False, extensions=[])


class FrameWriter:
    """Writes finished frames to one socket, beside uvicorn's send: the app calls it only
    between Litestar's accept and close, never while a fragmented message is being sent."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketProtocol) -> None:
        self._protocol = protocol

    def ready(self) -> bool:
        """Open, and its transport is not holding back a full buffer (the client keeps up)."""
        protocol = self._protocol
        return protocol.writable.is_set() and protocol.conn.state is OPEN and not protocol.transport.is_closing()

    def write(self, frame: bytes) -> None:
        """Write now, buffered past the high-water mark if need be: call drain() before the next."""
        protocol = self._protocol
        if protocol.conn.state is not OPEN or protocol.transport.is_closing():
            raise ClientDisconnected()
        protocol.transport.write(frame)

    async def drain(self) -> None:
        """Until the transport's buffer is back under its low-water mark (or the socket is lost)."""
        await self._protocol.writable.wait()


class WebSocketProtocol(WebSocketsSansIOProtocol):
    async def run_asgi(self) -> None:
        # The handshake is parsed (handle_connect) and the app has not started: offer the writer
        # unless an extension changes how frames look on this socket.
        if not self.conn.extensions:
            self.scope["extensions"][FRAMES] = FrameWriter(self)  # type: ignore[index]
        await super().run_asgi()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self.handshake_initiated and self.conn.handshake_exc is not None:
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()

    def shutdown(self) -> None:
        """Studio is stopping (server/shutdown.py): an open socket closes with 1001 (going away),
        the code the event routes use for it, instead of uvicorn's 1012 (service restart)."""
        if not self.handshake_complete or self.close_sent:
            super().shutdown()
            return
        self.stop_keepalive()
        self.queue.put_nowait({"type": "websocket.disconnect", "code": CLOSE_GOING_AWAY})
        self.conn.send_close(CLOSE_GOING_AWAY, GOING_AWAY_REASON)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body", False):
            self.handshake_complete = True
