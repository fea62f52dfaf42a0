"""Job use cases: accept, look up, list, cancel, remix, favorite and delete."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from server.access import audit, limits
from server.access.links import LinkSigner
from server.access.schemas import Caller
from server.clock import utc_now
from server.comfy import ComfyUnavailable
from server.config import Settings
from server.db.tables import Job as JobRow
from server.errors import NUL_MESSAGE, BadRequest, Conflict, FieldError, NotFound, echo, has_nul
from server.jobs import repository, reuse, transitions
from server.jobs.cursor import Cursor, decode_cursor, encode_cursor
from server.jobs.events import JobCancelled, JobCreated, JobDeleted, JobEvent, JobFinished, JobUpdated
from server.jobs import intake
from server.jobs.intake import Intake
from server.jobs.ports import EventPublisher, JobSender
from server.jobs.schemas import TERMINAL_STATUSES, Job, JobCreate, JobFilters, JobPage, RemixRequest
from server.jobs.signed import signed_job
from server.models.catalog import ModelCatalog
from server.storage import LocalStorage
from server.styles.apply import blamed, own_prompts, styled_params
from server.styles.registry import StyleRegistry
from server.uploads import repository as uploads
from server.workflows.manifest import ModelParam, SeedParam, Workflow
from server.workflows.params import comfy_choice_errors, comfy_choice_params, dimensions, draws_seed, resolve, with_seed
from server.webhooks import safety
from server.webhooks.schemas import WebhookTarget
from server.workflows.registry import WorkflowRegistry

log = logging.getLogger(__name__)

# Parameters with a column of their own, for filtering, display and the original system's API.
COLUMN_PARAMS = ("prompt", "negative_prompt", "model", "aspect_ratio", "batch_size", "steps", "cfg", "sampler", "scheduler", "denoise")


class JobService:
    def __init__(
        self,
        settings: Settings,
        workflows: WorkflowRegistry,
        styles: StyleRegistry,
        storage: LocalStorage,
        queue: JobSender,
        events: EventPublisher,
        models: ModelCatalog,
        links: LinkSigner,
    ) -> None:
        self.settings = settings  # the queue cap
        self.workflows = workflows
        self.styles = styles
        self.storage = storage
        self.events = events
        self.intake = Intake(queue, events)  # job.created and the queue message of each new job
        self.models = models
        self.links = links  # signs the output links of every job this service returns
        self.webhooks_allowed = safety.Allowed(settings.webhook_allow)

    async def create(self, request: JobCreate, caller: Caller, *, remix_of: uuid.UUID | None = None) -> Job:
        """Accept a job owned by `caller`; its image inputs must be uploads the caller may see, and
        the queue and the caller's limits must have room for it (server/access/limits.py)."""
        columns = await self.row(request, caller, remix_of=remix_of)
        workflow = self.workflows.get(request.workflow)
        # A drawn seed is new: no finished job can have these inputs, so none is looked for.
        if request.reuse and workflow.manifest.reuse and not draws_seed(workflow, {**request.params, **columns["styled_params"]}):
            if reused := await self._reuse(columns, caller):
                return signed_job(reused, self.links)
        if limits.checks_job(caller, self.settings):
            # Counting and inserting share one serialised transaction: these submits go one at a time.
            job = await limits.admit_job(caller, self.settings, functools.partial(self.intake.insert_one, columns))
            await self.intake.dispatch([job])
        else:
            job = await self.intake.submit(columns)
        log.info("accepted job %s (%s) of %s", job.id, job.workflow, job.owner or "(no key)", extra={"job_id": str(job.id)})
        return signed_job(job, self.links)

    async def create_group(self, rows: list[dict[str, Any]], caller: Caller, first: Callable[[], Awaitable[Any]]) -> list[Job]:
        """Store jobs of these `rows` (a sweep's cells, from `row`) in one transaction after `first()`
        (the sweep's own row), once the queue and `caller`'s limits have room for all of them - none
        otherwise; then announce and send them together."""

        async def insert() -> list[Job]:
            async with JobRow._meta.db.transaction():  # within admit_job's, when it opened one
                await first()
                return await self.intake.insert_many(rows)

        jobs = await limits.admit_job(caller, self.settings, insert, count=len(rows))
        await self.intake.dispatch(jobs)
        log.info("accepted %d jobs (%s) of %s together", len(jobs), jobs[0].workflow if jobs else "-", caller.name or "(no key)")
        return [signed_job(job, self.links) for job in jobs]

    async def row(self, request: JobCreate, caller: Caller, *, remix_of: uuid.UUID | None = None) -> dict[str, Any]:
        """The jobs row `request` makes for `caller`, checked as every submit is (parameters,
        style, uploads the caller may see, ComfyUI's models and choices, where its webhook goes);
        BadRequest otherwise."""
        workflow = self.workflows.get(request.workflow)
        style = self.styles.get(request.style) if request.style else None
        styled, errors = styled_params(style, workflow, request.params)
        resolved, problems = resolve(workflow, {**request.params, **styled})
        errors += blamed(style, styled, problems)
        values = resolved.values
        # The prompt columns keep the user's own words; the styled ones are in styled_params.
        shown = {**values, **own_prompts(workflow, request.params, styled)}
        row: dict[str, Any] = {
            name: shown[name] for name in COLUMN_PARAMS if name in shown and shown[name] is not None
        }
        errors += [
            FieldError(f"params.{name}", problem)
            for name, value in row.items()
            if (problem := repository.misfit(name, value))
        ]
        digests = await uploads.digests(list(resolved.images.values()), owner=caller.scope)
        errors += [
            FieldError(f"params.{name}", f"no upload named {echo(upload)}; upload the image with POST /api/uploads first")
            for name, upload in resolved.images.items()
            if upload not in digests
        ]
        errors += await self._check_models(workflow, values)
        errors += await self._check_comfy_choices(workflow, values)
        if errors:
            raise BadRequest.from_fields(errors, resolved.unlisted)
        width, height = dimensions(workflow, values)
        seed = _seed(workflow, values)
        return {
            **row,
            "workflow": workflow.name,
            "params": request.params,
            "seed": seed,
            "width": width,
            "height": height,
            "owner": caller.name,
            "priority": caller.limits.priority,
            "remix_of": remix_of,
            "style": request.style,
            "styled_params": styled,
            "reuse_key": reuse.reuse_key(workflow, request.params, styled, seed, digests),
            "webhook": await self._webhook(request, caller),
        }

    async def _reuse(self, columns: dict[str, Any], caller: Caller) -> Job | None:
        """The job stored finished at once with copies of the outputs of `caller`'s newest finished
        job of the same reuse key - never queued, never sent to ComfyUI - or None when there is none."""
        source = await reuse.source(columns["reuse_key"], caller.name, self.storage)
        if source is None:
            return None
        job_id = uuid.uuid4()
        try:
            outputs = await reuse.copy_outputs(self.storage, source, job_id)
        except FileNotFoundError:  # its files went meanwhile: run it
            return None
        now = utc_now()
        finished = {
            **columns, "id": job_id, "status": "finished", "progress": 100, "started_at": now, "finished_at": now,
            "outputs": msgspec.to_builtins(outputs), "texts": msgspec.to_builtins(source.texts), "reused_from": source.id,
        }
        insert = functools.partial(intake.store_one, finished)
        try:
            job = await (limits.admit_job(caller, self.settings, insert) if limits.checks_job(caller, self.settings) else insert())
        except BaseException:
            self.storage.delete_tree("outputs", str(job_id))
            raise
        self._publish(job, JobCreated(job_id=job.id, workflow=job.workflow, job=job))
        self._publish(job, JobFinished(job_id=job.id, workflow=job.workflow, job=job))
        await self.events.flush()
        log.info("job %s of %s reused the outputs of %s", job.id, job.owner or "(no key)", source.id, extra={"job_id": str(job.id)})
        return job

    async def _webhook(self, request: JobCreate, caller: Caller) -> dict[str, Any] | None:
        """The job's webhook column: the request's, else the caller's key's default; BadRequest
        when its destination is one Studio does not send to (server/webhooks/safety.py)."""
        target = request.webhook or (WebhookTarget(url=caller.webhook_url) if caller.webhook_url else None)
        if target is None:
            return None
        if problem := await safety.refusal(target.url, self.webhooks_allowed):
            raise BadRequest.from_fields([FieldError("webhook.url", problem)])
        return msgspec.to_builtins(target)

    async def _check_models(self, workflow: Workflow, values: dict[str, Any]) -> list[FieldError]:
        """Refuse model names ComfyUI does not have. While ComfyUI is unreachable the job is
        accepted as it is: it waits in the queue, and ComfyUI's own check fails it if need be."""
        errors = []
        for name, param in workflow.manifest.params.items():
            if not isinstance(param, ModelParam) or values.get(name) is None:
                continue
            try:
                available = await self.models.files(param.folder)
            except ComfyUnavailable:
                return []
            if values[name] not in available:
                listed = ", ".join(available) or "none"
                errors.append(
                    FieldError(f"params.{name}", f"{echo(values[name])} is not in ComfyUI's {param.folder}; available: {listed}")
                )
        return errors

    async def _check_comfy_choices(self, workflow: Workflow, values: dict[str, Any]) -> list[FieldError]:
        """Refuse a sampler or scheduler that ComfyUI does not offer (`"choices": "comfy"`); while
        ComfyUI is unreachable the value is not checked, as for models."""
        if not comfy_choice_params(workflow):
            return []
        try:
            return comfy_choice_errors(workflow, values, await self.models.object_info())
        except ComfyUnavailable:
            return []

    async def get(self, job_id: uuid.UUID, caller: Caller) -> Job:
        """The job (its output links signed), if `caller` may see it: someone else's job is as absent
        as a deleted one (404, never 403, which would confirm that it exists). Owners never change,
        so checking once and then acting on the job by id is safe."""
        job = await repository.get(job_id, owner=caller.scope)
        if job is None:
            raise NotFound(f"No job with id {job_id}.", [FieldError("id", "no such job")])
        return signed_job(job, self.links)

    async def list(self, filters: JobFilters, caller: Caller, *, limit: int, cursor: str | None = None, offset: int = 0) -> JobPage:
        """History as `caller` may see it: a user key's own jobs; an admin's, filtered by `owner` if asked."""
        if caller.scope is not None:
            filters = msgspec.structs.replace(filters, owner=caller.scope)
        texts = {"q": filters.text, "workflow": filters.workflow, "owner": filters.owner}
        if nul := [FieldError(name, NUL_MESSAGE) for name, text in texts.items() if text and has_nul(text)]:
            raise BadRequest.from_fields(nul)
        position = decode_cursor(cursor) if cursor else None
        jobs, more = await repository.page(filters, limit=limit, cursor=position, offset=offset)
        next_cursor = encode_cursor(Cursor(jobs[-1].created_at, jobs[-1].id)) if more and jobs else None
        return JobPage(items=[signed_job(job, self.links) for job in jobs], next_cursor=next_cursor, limit=limit)

    async def cancel(self, job_id: uuid.UUID, caller: Caller) -> Job:
        """A queued job is cancelled at once; a running one is stopped by its worker, which
        then marks it cancelled (or finished, if ComfyUI completed it first)."""
        job = await self.get(job_id, caller)
        if job.status in TERMINAL_STATUSES:
            raise Conflict(f"Job {job_id} is already {job.status}; there is nothing to cancel.")
        if await transitions.cancel_queued(job_id):
            _audit_others(caller, "cancel", job)
            self._publish(job, JobCancelled(job_id=job_id, workflow=job.workflow))
            return await self.get(job_id, caller)
        if await transitions.request_cancel(job_id):
            _audit_others(caller, "cancel", job)
            return await self._updated(job_id, caller)
        job = await self.get(job_id, caller)
        raise Conflict(f"Job {job_id} is already {job.status}; there is nothing to cancel.")

    async def remix(self, job_id: uuid.UUID, request: RemixRequest, caller: Caller) -> Job:
        """A new job of `caller`'s from a job it may see, in its style unless the remix names another."""
        original = await self.get(job_id, caller)
        workflow = self.workflows.get(request.workflow or original.workflow)
        # Keep the seed that produced the image unless the remix asks for another.
        params = with_seed(workflow, original.params, original.seed)
        if request.workflow and request.workflow != original.workflow:
            params = {k: v for k, v in params.items() if k in workflow.manifest.params}
        params.update(request.params)
        style = original.style if request.style is msgspec.UNSET else request.style
        return await self.create(JobCreate(workflow=workflow.name, params=params, style=style), caller, remix_of=original.id)

    async def set_favorite(self, job_id: uuid.UUID, favorite: bool, caller: Caller) -> Job:
        await self.get(job_id, caller)
        if not await repository.set_favorite(job_id, favorite):
            await self.get(job_id, caller)  # 404: deleted meanwhile
        return await self._updated(job_id, caller)

    async def _updated(self, job_id: uuid.UUID, caller: Caller) -> Job:
        """The job as stored after a change of its flags, told to every client (job.updated)."""
        job = await self.get(job_id, caller)
        self._publish(
            job,
            JobUpdated(
                job_id=job.id, workflow=job.workflow, status=job.status,
                favorite=job.favorite, cancel_requested=job.cancel_requested,
            ),
        )
        return job

    async def delete(self, job_id: uuid.UUID, caller: Caller) -> None:
        job = await self.get(job_id, caller)
        if not await transitions.delete_unless_running(job_id):
            await self.get(job_id, caller)  # 404 if it was deleted meanwhile
            raise Conflict(f"Job {job_id} is running; cancel it before deleting it.")
        _audit_others(caller, "delete", job)
        self.storage.delete_tree("outputs", str(job_id))
        self._publish(job, JobDeleted(job_id=job_id, workflow=job.workflow, status=job.status))

    def _publish(self, job: Job, event: JobEvent) -> None:
        """Publish an event of `job`, marked with its owner (whose live feed it goes to)."""
        self.events.publish(msgspec.structs.replace(event, owner=job.owner))


def _audit_others(caller: Caller, action: str, job: Job) -> None:
    """An admin acting on someone else's job leaves a line in the audit log."""
    if caller.name is not None and job.owner != caller.name:
        audit.record(caller, action, f"job {job.id} of {job.owner or '(no owner)'}")


def _seed(workflow: Workflow, values: dict[str, Any]) -> int | None:
    return next(
        (values[name] for name, param in workflow.manifest.params.items() if isinstance(param, SeedParam)),
        None,
    )
