"""Runs one claimed job on a lane, from input upload to its final status.

Progress: claimed 10, submitted 30, ComfyUI 30-95, done 100. Every change is published at once;
the row stores the claim's 10 and the end's 100, and in between at most every
PROGRESS_WRITE_SECONDS: live clients follow events, the stored value only serves those that
poll GET /api/jobs.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import msgspec

from server.comfy import (
    ComfyError,
    ComfyRejected,
    ComfyUnavailable,
    Failed,
    Interrupted,
    Lost,
    Outcome,
    PreviewUpdate,
    ProgressUpdate,
    PromptFollower,
    Succeeded,
)
from server.config import Settings
from server.events.schemas import JobCancelled, JobEvent, JobFailed, JobFinished, JobProgress, JobStatus
from server.jobs import failures, transitions
from server.jobs.ports import EventPublisher, JobSender
from server.jobs.schemas import Job, TextOutput
from server.storage import LocalStorage
from server.worker.lanes import Lane, Slot
from server.worker.outputs import collect_outputs
from server.workflows.manifest import ImageParam, Workflow
from server.workflows.params import fill_graph, resolve_run
from server.workflows.registry import WorkflowRegistry

log = logging.getLogger(__name__)
T = TypeVar("T")

# How often a running job looks for a cancel request (a read).
POLL_SECONDS = 0.5
# How often a running job stores its progress at most: a write per job and period, so fast jobs
# store none. Nothing else depends on it: the lease is renewed by its own update (_guard), a
# cancel request is read every POLL_SECONDS, and a restarted worker asks ComfyUI, not the row,
# where a prompt stands.
PROGRESS_WRITE_SECONDS = 2.0
# A followed prompt silent this long is looked up in ComfyUI's /history and /queue, in case its
# frames went astray; long nodes without progress reports are silent too, so this is only a check.
SILENCE_CHECK_SECONDS = 10.0


class RunnerEvents(EventPublisher, Protocol):
    """The job events the jobs package declares, and the one event only a running job has: a
    preview, kept as a file before it is announced (the events package's EventBus)."""

    def publish_preview(self, job_id: uuid.UUID, workflow: str, owner: str | None, image: bytes, mime: str) -> None:
        """Store the job's latest preview and publish it; never blocks on the network."""


class WorkerContext(msgspec.Struct, kw_only=True, frozen=True):
    """What every runner of this process shares: the queue and the events as the ports it uses
    (the worker runtime starts and stops the concrete bus)."""

    settings: Settings
    storage: LocalStorage
    workflows: WorkflowRegistry
    queue: JobSender
    events: RunnerEvents
    worker_id: str


class Unrunnable(Exception):
    """The job cannot run any more as it was accepted (its workflow or input image is gone)."""


class JobRunner:
    def __init__(self, context: WorkerContext, lane: Lane, slot: Slot, job: Job) -> None:
        self.context = context
        self.settings = context.settings
        self.lane = lane
        self.slot = slot
        self.job = job
        self.prompt_id = job.comfy_prompt_id or str(job.id)
        self.cancel = asyncio.Event()
        self._follower: PromptFollower | None = None
        self._progress = job.progress
        # The claim (or the last run) stored the progress the job starts with.
        self._progress_written_at = time.monotonic()
        self._heard_at = time.monotonic()

    async def run(self, *, adopt: bool) -> bool:
        """Run the job to its end; True when it went back to the queue instead (ComfyUI lost
        it): the caller sends it again once it has let go of it. The lane slot is released as
        soon as ComfyUI is done with the prompt (or never got it)."""
        job = self.job
        self._publish(
            JobStatus(job_id=job.id, workflow=job.workflow, status="processing", progress=self._progress, worker=self.context.worker_id)
        )
        guard = asyncio.create_task(self._guard(), name=f"guard-{self.job.id}")
        try:
            try:
                outcome = await self._outcome(adopt)
            except ComfyRejected as exc:
                await self._fail(f"ComfyUI rejected the workflow: {exc}", failures.rejected(exc.error_type, exc.node_errors))
                return False
            except ComfyUnavailable as exc:  # _retrying gave up: unreachable through every retry
                await self._fail(str(exc), failures.ComfyUnreachable())
                return False
            except Unrunnable as exc:
                await self._fail(f"The job can no longer run: {exc}", failures.Unrunnable())
                return False
            return await self._finish(outcome)
        finally:
            guard.cancel()

    async def _outcome(self, adopt: bool) -> Outcome:
        try:
            return await (self._adopt() if adopt else self._submit_and_follow())
        finally:
            # The prompt is out of ComfyUI's queue: the next job's prompt may go in while this
            # one's outputs are fetched and stored.
            self.slot.release()

    # --- the two ways in ----------------------------------------------------------

    async def _submit_and_follow(self) -> Outcome:
        workflow, values = self._resolved()
        for name, param in workflow.manifest.params.items():
            if isinstance(param, ImageParam) and values.get(name):
                values[name] = await self._retrying(lambda n=values[name]: self._upload(n))
        graph = fill_graph(workflow, values)
        if self.cancel.is_set():
            return Interrupted(self.prompt_id, None, None)
        self._follower = await self._retrying(lambda: self._submit(graph))
        log.info("job %s submitted to ComfyUI at %s as prompt %s", self.job.id, self.lane.comfy_url, self.prompt_id)
        await self._set_progress(30)
        return await self._follow(self._follower)

    async def _adopt(self) -> Outcome:
        """Re-attach to a prompt submitted by an earlier process: ComfyUI's /history and /queue tell."""
        self._follower = self.lane.session.adopt(self.prompt_id)
        return await self._follow(self._follower)

    def _resolved(self) -> tuple[Workflow, dict[str, Any]]:
        workflow = self.context.workflows.find(self.job.workflow)
        if workflow is None:
            raise Unrunnable(f"the workflow {self.job.workflow!r} was removed from the workflows folder")
        # What the job's style set (the final prompt) runs over the parameters as submitted.
        resolved, errors = resolve_run(workflow, self.job.params, self.job.styled_params, self.job.seed)
        if errors:
            raise Unrunnable("the workflow changed since it was accepted: " + "; ".join(f"{e.field}: {e.message}" for e in errors))
        return workflow, dict(resolved.values)

    async def _upload(self, name: str) -> str:
        try:
            data = self.context.storage.path("uploads", name).read_bytes()
        except FileNotFoundError:
            raise Unrunnable(f"its input image {name} was deleted (uploads are kept STUDIO_UPLOAD_RETENTION_HOURS)") from None
        uploaded = await self.lane.client.upload_image(data, name)
        return f"{uploaded.subfolder}/{uploaded.name}" if uploaded.subfolder else uploaded.name

    async def _submit(self, graph: dict[str, Any]) -> PromptFollower:
        try:
            return await self.lane.session.submit(graph, self.prompt_id)
        except ComfyUnavailable:
            # It may have been queued before the connection broke: never queue it twice.
            if await self.lane.client.history(self.prompt_id) or (await self.lane.client.queue()).find(self.prompt_id):
                return self.lane.session.adopt(self.prompt_id, graph)
            raise

    # --- following ------------------------------------------------------------------

    async def _follow(self, follower: PromptFollower) -> Outcome:
        async for update in follower:
            self._heard_at = time.monotonic()
            if isinstance(update, ProgressUpdate):
                await self._set_progress(30 + int(65 * update.fraction), update)
            elif isinstance(update, PreviewUpdate):
                self.context.events.publish_preview(self.job.id, self.job.workflow, self.job.owner, update.image, update.mime)
            elif isinstance(update, Succeeded | Failed | Interrupted | Lost):
                return update
        raise AssertionError("a follower always ends with an outcome")

    async def _guard(self) -> None:
        """Renew the lease, notice cancel requests, give up on a ComfyUI that stays away."""
        renew_every = self.settings.lease_seconds / 3
        renewed_at = time.monotonic()
        disconnected_since: float | None = None
        give_up_after = max(self.settings.comfy_retries * self.settings.comfy_retry_delay, self.settings.lease_seconds)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            now = time.monotonic()
            try:
                if now - renewed_at >= renew_every:
                    cancel = await transitions.renew_lease(self.job.id, worker=self.context.worker_id, lease_seconds=self.settings.lease_seconds)
                    renewed_at = now
                    if cancel is None:
                        log.warning("job %s is no longer held by this worker", self.job.id)
                        return
                else:
                    cancel = await transitions.cancel_requested(self.job.id)
            except Exception:  # the database hiccupped: try again next round, the lease has slack
                log.exception("lease/cancel check of job %s failed", self.job.id)
                continue
            if cancel and not self.cancel.is_set():
                self.cancel.set()
                await self._stop_prompt()
            follower = self._follower
            if follower is None or follower.done:
                continue
            if self.lane.session.connected:
                disconnected_since = None
                if now - self._heard_at > SILENCE_CHECK_SECONDS:
                    self._heard_at = now
                    self.lane.session.check(self.prompt_id)
            elif disconnected_since is None:
                disconnected_since = now
            elif now - disconnected_since > give_up_after:
                follower.resolve_missing(f"ComfyUI at {self.lane.comfy_url} was unreachable for {give_up_after:.0f} s")

    async def _stop_prompt(self) -> None:
        if self._follower is None:
            return  # not submitted yet: _submit_and_follow sees the flag before submitting
        try:
            await self.lane.session.cancel(self.prompt_id)
        except ComfyError as exc:
            log.warning("could not cancel prompt %s in ComfyUI yet: %s", self.prompt_id, exc)
            self.cancel.clear()  # try again on the next round

    # --- ending ---------------------------------------------------------------------

    async def _finish(self, outcome: Outcome) -> bool:
        """Store the outcome; True when the job went back to the queue."""
        match outcome:
            case Succeeded(images=images, texts=texts, socket_images=socket_images):
                outputs = await self._retrying(
                    lambda: collect_outputs(self.lane.client, self.context.storage, self.job.id, images, socket_images)
                )
                shown = [TextOutput(node_id=t.node_id, text=t.text) for t in texts]
                job = await transitions.finish(self.job.id, worker=self.context.worker_id, outputs=outputs, texts=shown)
                if job is not None:
                    log.info("job %s finished: %d outputs, %d texts", self.job.id, len(outputs), len(shown))
                    self._publish(JobFinished(job_id=job.id, workflow=job.workflow, job=job))
            case Failed():
                failure = failures.ExecutionError(
                    node_id=outcome.node_id,
                    node_type=outcome.node_type,
                    exception_type=outcome.exception_type,
                    exception_message=outcome.exception_message,
                    traceback=outcome.traceback[-20:],
                )
                await self._fail(outcome.message, failure)
            case Interrupted() if self.cancel.is_set():
                if await transitions.conclude(self.job.id, worker=self.context.worker_id, status="cancelled"):
                    log.info("job %s cancelled", self.job.id)
                    self._publish(JobCancelled(job_id=self.job.id, workflow=self.job.workflow))
            case Interrupted():
                where = f" at node {outcome.node_id} ({outcome.node_type})" if outcome.node_id else ""
                await self._fail(
                    f"ComfyUI interrupted the job{where}; someone stopped it in ComfyUI itself. Remix it to run it again.",
                    failures.Interrupted(node_id=outcome.node_id),
                )
            case Lost(reason=reason):
                return await self._requeue(reason)
        return False

    async def _requeue(self, reason: str) -> bool:
        """Back to the queue to run again, unless it ran out of attempts."""
        if self.job.attempts >= self.settings.max_attempts:
            await self._fail(
                f"ComfyUI lost the job {self.job.attempts} times ({reason}); giving up.", failures.Lost(attempts=self.job.attempts)
            )
            return False
        log.info("job %s: %s; sending it again", self.job.id, reason)
        if not await transitions.requeue(self.job.id, worker=self.context.worker_id):
            return False
        self._publish(JobStatus(job_id=self.job.id, workflow=self.job.workflow, status="queued", progress=0))
        return True

    async def _fail(self, error: str, failure: failures.Failure) -> None:
        """failed, and the event that says so."""
        if await transitions.conclude(self.job.id, worker=self.context.worker_id, status="failed", error=error, failure=failure):
            log.info("job %s failed: %s", self.job.id, error)
            self._publish(JobFailed(job_id=self.job.id, workflow=self.job.workflow, error=error, error_details=failure))

    def _publish(self, event: JobEvent) -> None:
        self.context.events.publish(msgspec.structs.replace(event, owner=self.job.owner))

    async def _set_progress(self, percent: int, update: ProgressUpdate | None = None) -> None:
        """Publish progress (the bus throttles it) and store it at most every PROGRESS_WRITE_SECONDS."""
        percent = max(self._progress, min(percent, 99))
        if update is not None:
            self._publish(
                JobProgress(
                    job_id=self.job.id, workflow=self.job.workflow, percent=percent, node=update.node_id,
                    node_class=update.class_type, step=update.step, total=update.total_steps,
                )
            )
        if percent == self._progress:
            return
        if update is None:
            self._publish(JobProgress(job_id=self.job.id, workflow=self.job.workflow, percent=percent))
        self._progress = percent
        now = time.monotonic()
        if now - self._progress_written_at < PROGRESS_WRITE_SECONDS:
            return
        self._progress_written_at = now
        await transitions.set_progress(self.job.id, worker=self.context.worker_id, progress=percent)

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """Connection errors to ComfyUI are retried `comfy_retries` times, `comfy_retry_delay` apart."""
        for attempt in range(self.settings.comfy_retries + 1):
            try:
                return await call()
            except ComfyUnavailable as exc:
                if attempt == self.settings.comfy_retries:
                    raise ComfyUnavailable(
                        f"ComfyUI at {self.lane.comfy_url} could not be reached ({exc}) after "
                        f"{attempt + 1} tries; check that it is running.",
                        attempts=attempt + 1,
                    ) from None
                log.info(
                    "job %s: ComfyUI unreachable (%s); try %d of %d in %.1f s",
                    self.job.id, exc, attempt + 2, self.settings.comfy_retries + 1, self.settings.comfy_retry_delay,
                )
                await asyncio.sleep(self.settings.comfy_retry_delay)
        raise AssertionError("unreachable")

