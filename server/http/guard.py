"""Keeps the web pages a user visits from using the Studio on their machine.

A page cannot read Studio's answers (no CORS), but it can still send commands: a form or a
`text/plain` fetch POSTs without asking, a WebSocket opens to any origin, and a name of the
attacker's that resolves to 127.0.0.1 (DNS rebinding) makes Studio its own origin. So:

- the Host a request names must be one Studio is served as (STUDIO_ALLOWED_HOSTS; by default
  the loopback names and STUDIO_HOST), else 400. `/health` is exempt: it tells nothing private,
  and probes (Kubernetes, load balancers) name the host by address;
- a WebSocket or a POST / PUT / PATCH / DELETE that carries an `Origin` (browsers always send it
  there) must come from Studio's own pages or STUDIO_ALLOWED_ORIGINS, else 403. Clients that are
  not browsers (curl, scripts, the TUI) send no Origin and pass;
- a body for a JSON route must say `Content-Type: application/json`, else 415: no simple
  cross-site form or `text/plain` request passes for JSON.

`GuardDocs` writes those refusals into the OpenAPI description of every route they apply to.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec
from litestar.datastructures import Headers
from litestar.enums import RequestEncodingType, ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.openapi import ResponseSpec
from litestar.params import BodyKwarg
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.types import ASGIApp, Receive, Scope, Send

from server.config import Settings
from server.errors import BadRequest, ErrorBody, Forbidden, StudioError, error_response

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
UNSPECIFIED = ("", "0.0.0.0", "::")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Answered whatever Host the request names (see the module's docstring).
ANY_HOST_PATH = "/health"
DEFAULT_PORTS = {"http": 80, "https": 443}
# Values from the request quoted in a refusal are cut to this.
MAX_QUOTED = 80

Origin = tuple[str, str, int]  # scheme, host name, port


class UnsupportedMediaType(StudioError):
    status_code = 415


class BrowserGuard(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, settings: Settings) -> None:
        self.any_host = "*" in settings.allowed_hosts
        names = settings.allowed_hosts or [*LOOPBACK_NAMES, *([settings.host] if settings.host not in UNSPECIFIED else [])]
        self.hosts = frozenset(name.strip("[]").lower() for name in names)
        self.origins = frozenset(filter(None, (_origin(url) for url in settings.allowed_origins)))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        try:
            self.check(scope)
        except StudioError as refusal:
            if scope["type"] == ScopeType.HTTP:
                raise  # answered and logged like every other refusal
            await refuse_websocket(scope, send, refusal)
            return
        await next_app(scope, receive, send)

    def check(self, scope: Scope) -> None:
        headers = Headers.from_scope(scope)
        host = headers.get("host")
        if host is None and scope.get("http_version") == "1.1" and scope["path"] != ANY_HOST_PATH:
            # h11 refused these itself; httptools lets them through (RFC 9112 3.2 says 400).
            raise BadRequest("An HTTP/1.1 request must name the host it is for in a Host header.")
        if host is not None and scope["path"] != ANY_HOST_PATH:
            name = urlsplit(f"//{host}").hostname or ""
            if not self.any_host and name not in self.hosts:
                raise BadRequest(
                    f"Studio is not served as {_quote(host)} (the request's Host): to reach it by that name, add "
                    f"{_quote(name)} to STUDIO_ALLOWED_HOSTS (comma-separated names; * allows any). Unknown names are "
                    "refused so that web pages cannot reach Studio by rebinding a name of theirs to its address."
                )
        method = scope.get("method", "GET")
        origin = headers.get("origin")
        if origin is not None and (scope["type"] == ScopeType.WEBSOCKET or method in STATE_CHANGING):
            scheme = "https" if scope["scheme"] in ("https", "wss") else "http"
            own = _origin(f"{scheme}://{host}") if host else None
            if _origin(origin) not in (self.origins | {own}) - {None}:
                raise Forbidden(
                    f"Refused a request from the web page at {_quote(origin)}: Studio takes commands and WebSockets "
                    "from browsers only on its own pages. To allow that site, add its origin to STUDIO_ALLOWED_ORIGINS "
                    "(comma-separated, e.g. https://studio.example.com)."
                )
        if scope["type"] == ScopeType.HTTP and _takes_json(scope["route_handler"]):
            content_type = headers.get("content-type")
            has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
            if (content_type is None and has_body) or (content_type is not None and not _is_json(content_type)):
                raise UnsupportedMediaType(
                    f"{method} {scope['path']} takes a JSON body: send it with 'Content-Type: application/json' "
                    f"(got {_quote(content_type) if content_type else 'no Content-Type'})."
                )


def _origin(url: str) -> Origin | None:
    """An origin as browsers compare them; None for one that cannot match (`null`, garbage)."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or port is None:
        return None
    return parts.scheme, parts.hostname.lower(), port


def _takes_json(handler: HTTPRouteHandler) -> bool:
    data = handler.parsed_data_field
    if data is None:
        return False
    kwarg = data.kwarg_definition
    return not isinstance(kwarg, BodyKwarg) or kwarg.media_type == RequestEncodingType.JSON


class GuardDocs(ReceiveRoutePlugin):
    """Adds the guard's refusals to the OpenAPI `responses` of each route they can apply to, so
    no controller repeats them. A route's own description of a status comes first."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return  # WebSocket routes are not in the OpenAPI description (see server/events/websocket_docs.py)
        for handler in route.route_handlers:
            refusals = {**_refusals(route.path, handler), **(handler.responses or {})}
            handler.responses = dict(sorted(refusals.items()))


def _refusals(path: str, handler: HTTPRouteHandler) -> dict[int, ResponseSpec]:
    refusals: dict[int, ResponseSpec] = {}
    if path != ANY_HOST_PATH:
        refusals[400] = error_response("The request's Host is not a name Studio is served as (STUDIO_ALLOWED_HOSTS)")
    # A route documenting a WebSocket's handshake (101) stands for the WebSocket, which a page may open.
    if handler.http_methods & STATE_CHANGING or 101 in (handler.responses or {}):
        refusals[403] = error_response(
            "Sent by a web page whose origin is not allowed (STUDIO_ALLOWED_ORIGINS), or with the session cookie "
            "but without its X-CSRF-Token"
        )
    if _takes_json(handler):
        refusals[415] = error_response("The body is not sent as 'Content-Type: application/json'")
    return refusals


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _quote(value: str) -> str:
    return repr(value if len(value) <= MAX_QUOTED else value[:MAX_QUOTED] + "...")


async def refuse_websocket(scope: Scope, send: Send, refusal: StudioError) -> None:
    """Answer the upgrade with the refusal as HTTP (the denial-response extension), or close it
    before accepting, which servers answer with a bare 403."""
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008, "reason": ""})
        return
    body = msgspec.json.encode(ErrorBody(refusal.status_code, refusal.detail))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "websocket.http.response.start", "status": refusal.status_code, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})
