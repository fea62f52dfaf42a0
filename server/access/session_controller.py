"""/api/session: a browser signs in with an API key once, then sends an HttpOnly session cookie
(server/access/sessions.py); GET gives a reloaded page its CSRF token back; DELETE signs out."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Operation
from litestar.params import JSONBody

from server.access import sessions
from server.access.middleware import ROTATED_COOKIE, bearer
from server.access.policy import AccessPolicy
from server.access.schemas import Caller
from server.access.sessions import SessionView, SignIn, StoredSession
from server.config import Settings
from server.errors import Conflict, Unauthorized, error_response, error_responses

NOT_SIGNED_IN = (
    "This request carries no session cookie: sign in with POST /api/session {\"key\": \"<API key>\"} "
    "(API clients send 'Authorization: Bearer <key>' instead)."
)
_COOKIE_SET = "Sets the `studio_session` cookie: HttpOnly, SameSite=Strict, Path=/, Secure over https"


@dataclass
class _SignInOperation(Operation):
    """Litestar documents every body as required; sign-in's is not (the key may come as the bearer header)."""

    def __post_init__(self) -> None:
        if self.request_body is not None:
            self.request_body.required = False


class SessionController(Controller):
    path = "/api/session"
    tags = ["session"]

    @post(
        "/",
        status_code=200,
        summary="Sign a browser in with an API key",
        description=f"{_COOKIE_SET}, valid for STUDIO_SESSION_HOURS; the answer's `csrf_token` goes with every "
        "request that changes state, as X-CSRF-Token. The key comes in the body (or as the bearer header, "
        "without a body). 409 while Studio runs open (no keys): a browser needs no sign-in then.",
        responses={**error_responses(409), 401: error_response("The key is unknown or revoked")},
        opt={"exclude_from_auth": True},
        security=[{}],
        operation_class=_SignInOperation,
    )
    async def sign_in(
        self,
        request: Request,
        policy: NamedDependency[AccessPolicy],
        settings: NamedDependency[Settings],
        data: JSONBody[SignIn | None] = None,
    ) -> Response[SessionView]:
        if not await policy.keys_required():
            raise Conflict("Studio runs open (it has no API keys yet): a browser needs no sign-in; GET /api/me says so.")
        caller = await policy.caller(data.key if data else bearer(request.headers.get("authorization")))
        assert caller.key_id is not None and caller.name is not None  # a key's caller, since keys are required
        session, cookie = await sessions.start(caller.key_id, settings.session_hours)
        return Response(
            SessionView(name=caller.name, role=caller.role, csrf_token=session.csrf_token),
            cookies=[sessions.cookie(cookie, secure=sessions.is_https(request.scope))],
        )

    @get(
        "/",
        summary="The signed-in browser's session, with its CSRF token",
        description="For a page that was reloaded: the cookie is HttpOnly, so the page asks for its CSRF token here. "
        "401 without a session cookie (also for a request with a bearer key).",
    )
    async def current(self, request: Request, caller: NamedDependency[Caller]) -> SessionView:
        session = _session_of(request)
        assert caller.name is not None
        return SessionView(name=caller.name, role=caller.role, csrf_token=session.csrf_token)

    @delete(
        "/",
        status_code=204,
        summary="Sign the browser out",
        description="Ends the session (its rotated cookies too) and clears the cookie (Max-Age=0). "
        "Needs the X-CSRF-Token like every state-changing request of a session.",
    )
    async def sign_out(self, request: Request) -> Response[None]:
        session = _session_of(request)
        await sessions.end(session.csrf_token)
        request.scope.pop(ROTATED_COOKIE, None)  # type: ignore[misc]  # a cookie rotated on the way in ends too
        return Response(None, status_code=204, cookies=[sessions.cookie(None, secure=sessions.is_https(request.scope))])


def _session_of(request: Request) -> StoredSession:
    session = request.scope.get("auth")
    if not isinstance(session, StoredSession):
        raise Unauthorized(NOT_SIGNED_IN)
    return session
