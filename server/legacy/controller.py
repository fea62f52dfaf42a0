"""The original Flask system's routes, kept so its clients keep working."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from server.access.schemas import Caller
from server.errors import BadRequest, FieldError, error_responses
from server.jobs.schemas import OFFSET_MAX, PAGE_MAX, Job, JobCreate, JobFilters, Status
from server.jobs.service import JobService

DEFAULT_WORKFLOW = "text_to_image"


class LegacyTask(msgspec.Struct, kw_only=True):
    task_id: uuid.UUID
    status: Status
    progress: int
    image_url: str | None
    image_urls: list[str]
    error: str | None
    workflow: str
    prompt: str
    model: str | None
    aspect_ratio: str | None
    batch_size: int
    seed: int | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class LegacyCancel(msgspec.Struct):
    success: bool
    message: str


class LegacyHistory(msgspec.Struct):
    history: list[LegacyTask]
    limit: int
    offset: int


def legacy_task(job: Job) -> LegacyTask:
    urls = [output.url for output in job.outputs]
    return LegacyTask(
        task_id=job.id,
        status=job.status,
        progress=job.progress,
        image_url=urls[0] if urls else None,
        image_urls=urls,
        error=job.error,
        workflow=job.workflow,
        prompt=job.prompt,
        model=job.model,
        aspect_ratio=job.aspect_ratio,
        batch_size=job.batch_size,
        seed=job.seed,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


class LegacyController(Controller):
    path = "/api"
    tags = ["original system (aliases)"]

    @post(
        "/generate",
        status_code=HTTP_202_ACCEPTED,
        summary="Alias: submit a job from flat fields",
        responses=error_responses(413, 429, 503),
    )
    async def generate(
        self, data: JSONBody[dict[str, Any]], jobs: NamedDependency[JobService], caller: NamedDependency[Caller]
    ) -> LegacyTask:
        params = dict(data)
        workflow = params.pop("workflow", None) or DEFAULT_WORKFLOW
        try:
            request = msgspec.convert({"workflow": workflow, "params": params}, JobCreate)
        except msgspec.ValidationError:
            problem = "must be a workflow name of at most 100 characters (GET /api/workflows lists them)"
            raise BadRequest.from_fields([FieldError("workflow", problem)]) from None
        return legacy_task(await jobs.create(request, caller))

    @get("/status/{job_id:uuid}", summary="Alias of GET /api/jobs/{id}", responses=error_responses(404))
    async def status(
        self, job_id: FromPath[uuid.UUID], jobs: NamedDependency[JobService], caller: NamedDependency[Caller]
    ) -> LegacyTask:
        return legacy_task(await jobs.get(job_id, caller))

    @post(
        "/cancel/{job_id:uuid}", status_code=200, summary="Alias of POST /api/jobs/{id}/cancel", responses=error_responses(404, 409)
    )
    async def cancel(
        self, job_id: FromPath[uuid.UUID], jobs: NamedDependency[JobService], caller: NamedDependency[Caller]
    ) -> LegacyCancel:
        await jobs.cancel(job_id, caller)
        return LegacyCancel(success=True, message="Task cancelled")

    @get("/history", summary="Alias of GET /api/jobs with limit/offset", responses=error_responses())
    async def history(
        self,
        jobs: NamedDependency[JobService],
        caller: NamedDependency[Caller],
        limit: Annotated[int, QueryParameter(ge=1, le=PAGE_MAX)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=OFFSET_MAX)] = 0,
    ) -> LegacyHistory:
        page = await jobs.list(JobFilters(), caller, limit=limit, offset=offset)
        return LegacyHistory(history=[legacy_task(job) for job in page.items], limit=limit, offset=offset)
