"""The WebSocket protocol `studio serve` gives uvicorn: its websockets-sansio one, minus a hang.

websockets refuses an upgrade whose request line or a header line is over 8 KB (or that has over
128 headers) by preparing a 414 / 431 answer (an unreadable request: just an end of stream), but
uvicorn's `WebSocketsSansIOProtocol.data_received` writes websockets' output only once a whole
request was parsed, so the client got no answer and waited forever (uvicorn 0.54, websockets 17).
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class WebSocketProtocol(WebSocketsSansIOProtocol):
    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self.handshake_initiated and self.conn.handshake_exc is not None:
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()
