"""ComfyUI's origin_only_middleware as an ASGI wrapper (capture 19).

With a loopback Host, a request whose Origin host:port differs from Host gets 403, HTTP and
WebSocket upgrade alike. No Origin header = allowed.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Callable
from typing import Any

ASGIApp = Callable[..., Any]


def origin_mismatch(headers: list[tuple[bytes, bytes]]) -> bool:
    values = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}
    host, origin = values.get("host"), values.get("origin")
    if not host or not origin:
        return False
    host_domain = host.lower()
    origin_domain = urllib.parse.urlparse(origin).netloc.lower()
    hostname = urllib.parse.urlsplit("//" + host_domain).hostname
    try:
        loopback = ipaddress.ip_address(hostname or "").is_loopback
    except ValueError:
        loopback = hostname == "localhost"
    return loopback and bool(origin_domain) and host_domain != origin_domain


class OriginCheck:
    def __init__(self, app: ASGIApp, enabled: Callable[[], bool]) -> None:
        self.app = app
        self.enabled = enabled  # read per request so tests can flip the setting live

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and self.enabled() and origin_mismatch(scope["headers"]):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            else:
                await send({"type": "http.response.start", "status": 403, "headers": [(b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)
