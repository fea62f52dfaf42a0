"""Who may call a route: `admin_only`, a Litestar guard; and /schema saying which routes need a key."""

from __future__ import annotations

import re

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from server.access.middleware import OPEN_PATHS, SIGNED_PATHS
from server.access.schemas import Caller
from server.errors import Forbidden, error_responses

# How a route that needs a key documents its 401.
NO_KEY = error_responses(401)[401]
# An output file (or its thumbnail) opens with a key, or with none when its URL is signed (?exp=&sig=).
KEY_OR_SIGNED_LINK = [{"apiKey": []}, {}]


def admin_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Lets admin keys through (and everyone while Studio runs open: OPEN is an admin)."""
    caller = connection.scope.get("user")  # set by KeyAuthentication; absent means no key was checked
    if isinstance(caller, Caller) and caller.is_admin:
        return
    who = f"the key {caller.name!r} is a user key" if isinstance(caller, Caller) else "no key was given"
    raise Forbidden(f"{connection.url.path} needs an admin key; {who}.")


class KeyDocs(ReceiveRoutePlugin):
    """The document asks for the bearer key everywhere (app.py). Each route KeyAuthentication
    checks documents its 401 (so no controller repeats it); the routes it lets through without a
    key say so with an empty requirement (`security: [{}]`: nothing needed; Litestar drops a
    handler's `security=[]`, which would say the same), output files with it as an alternative."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return  # WebSocket routes are not in the OpenAPI description (see server/events/websocket_docs.py)
        is_open = any(re.search(pattern, route.path) for pattern in OPEN_PATHS)
        for handler in route.route_handlers:
            if is_open:
                handler.security = [{}]
                continue
            if route.path.startswith(SIGNED_PATHS):
                handler.security = KEY_OR_SIGNED_LINK
            handler.responses = dict(sorted({401: NO_KEY, **(handler.responses or {})}.items()))
