"""GET /api/me: the caller as Studio sees it, so that clients adapt (an admin's TUI shows owners)."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from server.access.schemas import Caller, Me


@get("/api/me", tags=["keys"], summary="The key this request is made with, and its limits")
async def who_am_i(caller: NamedDependency[Caller]) -> Me:
    return Me(name=caller.name, role=caller.role, limits=caller.limits, keys_required=caller.key_id is not None)
