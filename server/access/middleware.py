"""Litestar's authentication middleware, fed by API keys: sets `request.user` to the Caller.

A key comes as `Authorization: Bearer <key>`; on a WebSocket also as `?token=<key>`, since
browsers cannot set headers there. A signed output link (`/outputs/...?exp=&sig=`, and a
thumbnail's, `/thumbs/...`) is its own credential: it passes without a key as no caller (None),
and the route checks the signature.

A browser signed in with POST /api/session sends the session cookie instead (sessions.py): it acts
as its key, a request that changes state must also carry the session's X-CSRF-Token, and a cookie
due for rotation is replaced on the answer (a new Set-Cookie).
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.access import sessions
from server.access.policy import AccessPolicy
from server.errors import Forbidden, StudioError
from server.http.guard import STATE_CHANGING, refuse_websocket
from server.web.routes import OPEN_PATHS as PAGE_PATHS

# Answered without a key: it tells nothing private, and probes cannot hold one; nor does the web
# page's shell, which signs in before it reads anything.
OPEN_PATHS = ["^/health$", *PAGE_PATHS]
OUTPUTS = "/outputs/"
# Paths a signed link opens without a key: output files and their thumbnails.
SIGNED_PATHS = (OUTPUTS, "/thumbs/")
# The scope entry of a rotated session's new cookie, sent with the answer's headers.
ROTATED_COOKIE = "studio.session_cookie"
NO_CSRF = (
    "This request is signed in with the session cookie, so it must carry the session's CSRF token: send the "
    "csrf_token that POST or GET /api/session answered as the X-CSRF-Token header."
)


class KeyAuthentication(AbstractAuthenticationMiddleware):
    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        super().__init__(app, exclude=OPEN_PATHS)
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            send = _with_rotated_cookie(scope, send)
        try:
            await super().__call__(scope, receive, send)
        except StudioError as refusal:
            if scope["type"] != ScopeType.WEBSOCKET or "user" in scope:
                raise  # HTTP: answered and logged like every other refusal
            await refuse_websocket(scope, send, refusal)

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        key = bearer(connection.headers.get("authorization"))
        if key is None and connection.scope["type"] == ScopeType.WEBSOCKET:
            key = connection.query_params.get("token")
        if key is None and connection.url.path.startswith(SIGNED_PATHS) and "sig" in connection.query_params:
            if await self.policy.keys_required():
                return AuthenticationResult(user=None, auth=None)
        cookie = connection.cookies.get(sessions.COOKIE) if key is None else None
        if cookie and await self.policy.keys_required():
            return await self._by_session(connection, cookie)
        return AuthenticationResult(user=await self.policy.caller(key), auth=key)

    async def _by_session(self, connection: ASGIConnection, cookie: str) -> AuthenticationResult:
        """A browser's session: its key is the caller, `auth` the session (GET /api/session reads it)."""
        caller, session = await self.policy.session_caller(cookie)
        if connection.scope["type"] == ScopeType.HTTP:
            if connection.scope["method"] in STATE_CHANGING and not sessions.csrf_matches(
                connection.headers.get(sessions.CSRF_HEADER), session
            ):
                raise Forbidden(NO_CSRF)
            if (new := await sessions.rotate(session)) is not None:
                connection.scope[ROTATED_COOKIE] = sessions.cookie(new, secure=sessions.is_https(connection.scope))  # type: ignore[literal-required]
        return AuthenticationResult(user=caller, auth=session)


def _with_rotated_cookie(scope: Scope, send: Send) -> Send:
    """`send`, adding the rotated session's Set-Cookie (if authentication made one) to the answer."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and (new := scope.get(ROTATED_COOKIE)) is not None:
            message = {**message, "headers": [*message.get("headers", []), new.to_encoded_header()]}
        await send(message)

    return sending


def bearer(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
