from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.spec import Operation, RequestBody
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from server.access.schemas import Caller, KeyName
from server.errors import error_responses
from server.jobs.schemas import OFFSET_MAX, PAGE_MAX, Job, JobCreate, JobFilters, JobPage, RemixRequest, Status, WorkflowName
from server.jobs.service import JobService

Jobs = NamedDependency[JobService]
JobId = FromPath[uuid.UUID]
# Whom the request acts for (server/access/middleware.py): jobs are scoped to it.
Me = NamedDependency[Caller]


@dataclass
class OptionalBody(Operation):
    """Litestar documents every request body as required; a remix may have none."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]

    @post("/", status_code=HTTP_202_ACCEPTED, summary="Submit a job", responses=error_responses(413, 429, 503))
    async def create_job(self, data: JSONBody[JobCreate], jobs: Jobs, caller: Me) -> Job:
        return await jobs.create(data, caller)

    @get("/", summary="History, newest first", responses=error_responses())
    async def list_jobs(
        self,
        jobs: Jobs,
        caller: Me,
        status: Annotated[list[Status] | None, QueryParameter(description="Repeat for several")] = None,
        workflow: FromQuery[WorkflowName | None] = None,
        favorite: FromQuery[bool | None] = None,
        q: Annotated[str | None, QueryParameter(description="Text contained in the prompt", max_length=500)] = None,
        cursor: Annotated[str | None, QueryParameter(description="next_cursor of the previous page")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=PAGE_MAX, description=f"Page size, 1-{PAGE_MAX}")] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=OFFSET_MAX, description="Rows to skip (cursors are faster)")] = 0,
        owner: Annotated[
            KeyName | None, QueryParameter(description="Jobs of this key's name only (admins; a user key sees its own jobs)")
        ] = None,
    ) -> JobPage:
        filters = JobFilters(statuses=tuple(status or ()), workflow=workflow, favorite=favorite, text=q or None, owner=owner)
        return await jobs.list(filters, caller, limit=limit, cursor=cursor, offset=offset)

    @get("/{job_id:uuid}", summary="One job", responses=error_responses(404))
    async def get_job(self, job_id: JobId, jobs: Jobs, caller: Me) -> Job:
        return await jobs.get(job_id, caller)

    @post("/{job_id:uuid}/cancel", status_code=200, summary="Cancel a job", responses=error_responses(404, 409))
    async def cancel_job(self, job_id: JobId, jobs: Jobs, caller: Me) -> Job:
        return await jobs.cancel(job_id, caller)

    @post(
        "/{job_id:uuid}/remix",
        status_code=HTTP_202_ACCEPTED,
        summary="A new job from this one's parameters",
        responses=error_responses(404, 413, 429, 503),
        operation_class=OptionalBody,
    )
    async def remix_job(self, job_id: JobId, jobs: Jobs, caller: Me, data: JSONBody[RemixRequest | None] = None) -> Job:
        return await jobs.remix(job_id, data or RemixRequest(), caller)

    @put("/{job_id:uuid}/favorite", summary="Mark as favorite", responses=error_responses(404))
    async def add_favorite(self, job_id: JobId, jobs: Jobs, caller: Me) -> Job:
        return await jobs.set_favorite(job_id, True, caller)

    @delete("/{job_id:uuid}/favorite", status_code=200, summary="Unmark as favorite", responses=error_responses(404))
    async def remove_favorite(self, job_id: JobId, jobs: Jobs, caller: Me) -> Job:
        return await jobs.set_favorite(job_id, False, caller)

    @delete(
        "/{job_id:uuid}", status_code=HTTP_204_NO_CONTENT, summary="Delete a job and its files", responses=error_responses(404, 409)
    )
    async def delete_job(self, job_id: JobId, jobs: Jobs, caller: Me) -> None:
        await jobs.delete(job_id, caller)
