from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from server.access.schemas import Caller, KeyName
from server.errors import error_responses
from server.jobs.schemas import PAGE_MAX
from server.sweeps.schemas import Sweep, SweepCreate, SweepPage
from server.sweeps.service import SweepService

Sweeps = NamedDependency[SweepService]
SweepId = FromPath[uuid.UUID]
# Whom the request acts for (server/access/middleware.py): sweeps are scoped to it.
Me = NamedDependency[Caller]


class SweepController(Controller):
    path = "/api/sweeps"
    tags = ["sweeps"]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Start a sweep: one job per combination of the axes' values",
        responses=error_responses(429, 503),
    )
    async def create_sweep(self, data: JSONBody[SweepCreate], sweeps: Sweeps, caller: Me) -> Sweep:
        return await sweeps.create(data, caller)

    @get("/", summary="Sweeps, newest first", responses=error_responses())
    async def list_sweeps(
        self,
        sweeps: Sweeps,
        caller: Me,
        cursor: Annotated[str | None, QueryParameter(description="next_cursor of the previous page")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=PAGE_MAX, description=f"Page size, 1-{PAGE_MAX}")] = 50,
        owner: Annotated[
            KeyName | None, QueryParameter(description="Sweeps of this key's name only (admins; a user key sees its own sweeps)")
        ] = None,
    ) -> SweepPage:
        return await sweeps.list(caller, limit=limit, cursor=cursor, owner=owner)

    @get("/{sweep_id:uuid}", summary="One sweep and its grid", responses=error_responses(404))
    async def get_sweep(self, sweep_id: SweepId, sweeps: Sweeps, caller: Me) -> Sweep:
        return await sweeps.get(sweep_id, caller)

    @post("/{sweep_id:uuid}/cancel", status_code=200, summary="Cancel a sweep's unfinished cells", responses=error_responses(404, 409))
    async def cancel_sweep(self, sweep_id: SweepId, sweeps: Sweeps, caller: Me) -> Sweep:
        return await sweeps.cancel(sweep_id, caller)
