"""GET / (and the page's deep links) and GET /app/<file>: the web gallery, open without a key.

The page and its files hold nothing private: what it shows comes over the API, with the key or
the sign-in cookie (server/access/). They are left out of the OpenAPI description: not API."""

from __future__ import annotations

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from server.errors import NotFound, clip
from server.web.assets import PREFIX, WebAssets

# The page answers at its deep links too, so a bookmark or a reload opens the same view.
PAGE_PATHS = ["/", "/new", "/jobs/{job_id:str}"]
# KeyAuthentication lets these through without a key (server/access/middleware.py).
OPEN_PATHS = ["^/$", "^/new$", "^/jobs/[^/]+$", f"^{PREFIX}"]
IMMUTABLE = "public, max-age=31536000, immutable"


def web_routes(assets: WebAssets) -> list[HTTPRouteHandler]:
    page_headers = {
        "Cache-Control": "no-cache",  # revalidated each time: it names the current files
        "Content-Security-Policy": assets.csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }

    @get(PAGE_PATHS, include_in_schema=False)
    async def page() -> Response[bytes]:
        return Response(assets.index, media_type="text/html; charset=utf-8", headers=page_headers)

    @get(f"{PREFIX}{{name:str}}", include_in_schema=False)
    async def asset(name: FromPath[str]) -> Response[bytes]:
        found = assets.files.get(name)
        if found is None:
            raise NotFound(f"The page has no file {clip(name)!r}: reload the page for the current ones.")
        headers = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
        return Response(found.body, media_type=found.media_type, headers=headers)

    return [page, asset]
