"""Believes the X-Forwarded-* headers of Studio's reverse proxy, and nobody else's.

Behind a TLS proxy (nginx) the request Studio sees is http://127.0.0.1:8000 from the proxy; the
browser's was https://studio.example.com. When the TCP peer is one of STUDIO_TRUSTED_PROXIES,
the request is rewritten to what the proxy was asked, before anything reads it: X-Forwarded-Proto
sets the scheme, X-Forwarded-Host the Host, X-Forwarded-For the client. So the browser guard
(server/http/guard.py) checks the public name and origin, and the URLs Studio builds point there.
From any other peer the headers are ignored: anyone can send them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = {ScopeType.HTTP: {"http": "http", "https": "https"}, ScopeType.WEBSOCKET: {"http": "ws", "https": "wss"}}


class ProxyHeaders(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, trusted: Iterable[str]) -> None:
        self.trusted: tuple[Network, ...] = tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        client = scope.get("client")
        if client and self.trusts(client[0]):
            self.rewrite(scope)
        await next_app(scope, receive, send)

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:  # not an IP address: a Unix socket, a test client
            return False
        return any(ip in network for network in self.trusted)

    def rewrite(self, scope: Scope) -> None:
        headers = {name: value.decode("latin-1") for name, value in scope["headers"]}
        # A header a proxy appended to is a list: the last entry is the one our proxy wrote.
        proto = _last(headers.get(b"x-forwarded-proto", "")).lower()
        if scheme := SCHEMES[scope["type"]].get(proto):
            scope["scheme"] = scheme
        if host := _last(headers.get(b"x-forwarded-host", "")):
            scope["headers"] = [(n, v) for n, v in scope["headers"] if n != b"host"] + [(b"host", host.encode("latin-1"))]
        # The client is the nearest address the chain of proxies names that is not a trusted proxy.
        for address in reversed(headers.get(b"x-forwarded-for", "").split(",")):
            if (address := address.strip()) and not self.trusts(address):
                scope["client"] = (address, 0)
                break


def _last(value: str) -> str:
    return value.rsplit(",", 1)[-1].strip()
