"""Litestar's authentication middleware, fed by API keys: sets `request.user` to the Caller.

A key comes as `Authorization: Bearer <key>`; on a WebSocket also as `?token=<key>`, since
browsers cannot set headers there. A signed output link (`/outputs/...?exp=&sig=`, and a
thumbnail's, `/thumbs/...`) is its own credential: it passes without a key as no caller (None),
and the route checks the signature.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Receive, Scope, Send

from server.access.policy import AccessPolicy
from server.errors import StudioError
from server.http.guard import refuse_websocket
from server.web.routes import OPEN_PATHS as PAGE_PATHS

# Answered without a key: it tells nothing private, and probes cannot hold one; nor does the web
# page's shell, which signs in before it reads anything.
OPEN_PATHS = ["^/health$", *PAGE_PATHS]
OUTPUTS = "/outputs/"
# Paths a signed link opens without a key: output files and their thumbnails.
SIGNED_PATHS = (OUTPUTS, "/thumbs/")


class KeyAuthentication(AbstractAuthenticationMiddleware):
    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        super().__init__(app, exclude=OPEN_PATHS)
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except StudioError as refusal:
            if scope["type"] != ScopeType.WEBSOCKET or "user" in scope:
                raise  # HTTP: answered and logged like every other refusal
            await refuse_websocket(scope, send, refusal)

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        key = _bearer(connection.headers.get("authorization"))
        if key is None and connection.scope["type"] == ScopeType.WEBSOCKET:
            key = connection.query_params.get("token")
        if key is None and connection.url.path.startswith(SIGNED_PATHS) and "sig" in connection.query_params:
            if await self.policy.keys_required():
                return AuthenticationResult(user=None, auth=None)
        return AuthenticationResult(user=await self.policy.caller(key), auth=key)


def _bearer(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
