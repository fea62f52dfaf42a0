"""The WebSocket protocol `studio serve` gives uvicorn: its websockets-sansio one, minus two flaws
(uvicorn 0.54, websockets 17).

- websockets refuses an upgrade whose request line or a header line is over 8 KB (or that has
  over 128 headers) by preparing a 414 / 431 answer (an unreadable request: just an end of
  stream), but `data_received` writes websockets' output only once a whole request was parsed,
  so the client got no answer and waited forever.
- A refusal sent as an HTTP answer (the ASGI denial-response extension, see server/http/guard.py)
  left the handshake marked incomplete, so every refusal also logged "ASGI callable returned
  without completing handshake." at ERROR (https://github.com/Kludex/uvicorn/pull/3138).
"""

from __future__ import annotations

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from server.events.schemas import CLOSE_GOING_AWAY

GOING_AWAY_REASON = "Studio is shutting down."


class WebSocketProtocol(WebSocketsSansIOProtocol):
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
