from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from server.jobs.schemas import Job, JobCreate, JobFilters, JobPage, RemixRequest, Status
from server.jobs.service import JobService

Jobs = NamedDependency[JobService]
JobId = FromPath[uuid.UUID]


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]

    @post("/", status_code=HTTP_202_ACCEPTED, summary="Submit a job")
    async def create_job(self, data: JSONBody[JobCreate], jobs: Jobs) -> Job:
        return await jobs.create(data)

    @get("/", summary="History, newest first")
    async def list_jobs(
        self,
        jobs: Jobs,
        status: Annotated[list[Status] | None, QueryParameter(description="Repeat for several")] = None,
        workflow: FromQuery[str | None] = None,
        favorite: FromQuery[bool | None] = None,
        q: Annotated[str | None, QueryParameter(description="Text contained in the prompt", max_length=500)] = None,
        cursor: Annotated[str | None, QueryParameter(description="next_cursor of the previous page")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Page size, 1-200")] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> JobPage:
        filters = JobFilters(statuses=tuple(status or ()), workflow=workflow, favorite=favorite, text=q or None)
        return await jobs.list(filters, limit=limit, cursor=cursor, offset=offset)

    @get("/{job_id:uuid}", summary="One job")
    async def get_job(self, job_id: JobId, jobs: Jobs) -> Job:
        return await jobs.get(job_id)

    @post("/{job_id:uuid}/cancel", status_code=200, summary="Cancel a job")
    async def cancel_job(self, job_id: JobId, jobs: Jobs) -> Job:
        return await jobs.cancel(job_id)

    @post("/{job_id:uuid}/remix", status_code=HTTP_202_ACCEPTED, summary="A new job from this one's parameters")
    async def remix_job(self, job_id: JobId, jobs: Jobs, data: JSONBody[RemixRequest | None] = None) -> Job:
        return await jobs.remix(job_id, data or RemixRequest())

    @put("/{job_id:uuid}/favorite", summary="Mark as favorite")
    async def add_favorite(self, job_id: JobId, jobs: Jobs) -> Job:
        return await jobs.set_favorite(job_id, True)

    @delete("/{job_id:uuid}/favorite", status_code=200, summary="Unmark as favorite")
    async def remove_favorite(self, job_id: JobId, jobs: Jobs) -> Job:
        return await jobs.set_favorite(job_id, False)

    @delete("/{job_id:uuid}", status_code=HTTP_204_NO_CONTENT, summary="Delete a job and its files")
    async def delete_job(self, job_id: JobId, jobs: Jobs) -> None:
        await jobs.delete(job_id)
