"""A worker process's lanes, its Dramatiq actor, and the recovery sweep.

The same runtime serves `studio serve` (embedded, in-memory broker) and `studio worker`
(Redis broker). Coroutines run on the event loop thread of Dramatiq's AsyncIO middleware.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from server.config import Settings
from server.db.engine import disconnect, open_pool
from server.db.tables import Job as JobRow
from server.events.bus import EventBus
from server.events.schemas import JobFailed
from server.jobs import repository, transitions
from server.storage import LocalStorage
from server.worker.broker import ACTOR, QUEUE, JobQueue
from server.worker.lanes import SLOTS_PER_LANE, BorrowedLanes, Lane, Lanes
from server.worker.runner import JobRunner, WorkerContext
from server.workflows.registry import WorkflowRegistry

log = logging.getLogger(__name__)

# Dramatiq's own time limit would kill long renders; leases guard running jobs instead.
ACTOR_TIME_LIMIT_MS = 7 * 24 * 3600 * 1000
# A lane whose worker has not renewed a lease for this many lease periods is not coming back.
ORPHAN_LEASES = 10


class WorkerRuntime:
    def __init__(
        self,
        settings: Settings,
        broker: dramatiq.Broker,
        storage: LocalStorage,
        workflows: WorkflowRegistry,
        events: EventBus,
        *,
        embedded: bool,
    ) -> None:
        """`embedded`: the worker inside `studio serve`, sharing the API's event bus; otherwise a
        `studio worker` process that starts its own (publish-only) bus."""
        self.settings = settings
        self.broker = broker
        self.embedded = embedded
        # Without Redis this process is the only worker there is: nobody else can hold a job.
        self.sole_worker = not settings.redis_url
        self.context = WorkerContext(
            settings=settings,
            storage=storage,
            workflows=workflows,
            queue=JobQueue(broker),
            events=events,
            worker_id=f"{settings.resolved_worker_name}/{os.getpid()}/{uuid.uuid4().hex[:6]}",
        )
        self.lanes: Lanes | None = None
        self.borrowed = BorrowedLanes()
        self._running: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def threads(self) -> int:
        return SLOTS_PER_LANE * len(self.settings.comfy_urls)

    # --- lifecycle (on the worker's event loop) ------------------------------------

    async def start(self) -> None:
        await open_pool(JobRow._meta.db)
        if not self.embedded:
            await self.context.events.start(listen=False)
        name = self.settings.resolved_worker_name
        self.lanes = Lanes([Lane(name, url) for url in self.settings.comfy_urls])
        for lane in self.lanes.all:
            await lane.start()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="recovery-sweep")

    async def stop(self) -> None:
        """Leave running jobs as they are: their lanes re-attach to them on the next start."""
        tasks = [t for t in [self._sweeper, *self._running.values()] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.lanes:
            for lane in self.lanes.all:
                await lane.close()
        if not self.embedded:
            await self.context.events.stop()
        await disconnect(JobRow._meta.db)

    # --- jobs ------------------------------------------------------------------------

    async def run_message(self, job_id: uuid.UUID) -> None:
        """A queue message: run the job if it is still queued, else drop the message."""
        assert self.lanes is not None
        if job_id in self._running:
            return  # a duplicate message for a job this process already runs
        lane = self.lanes.least_busy()
        self._running[job_id] = asyncio.current_task()  # type: ignore[assignment]
        try:
            await self._claim_and_run(lane, job_id)
        finally:
            self._running.pop(job_id, None)

    async def _claim_and_run(self, lane: Lane, job_id: uuid.UUID) -> None:
        async with lane.slot():
            claimed = await transitions.claim(
                job_id, worker=self.context.worker_id, lane=lane.id, lease_seconds=self.settings.lease_seconds
            )
            if not claimed:
                log.info("job %s is no longer queued; message dropped", job_id)
                return
            await self._run(lane, job_id, adopt=False)

    async def _adopt(self, lane: Lane, job_id: uuid.UUID, *, expired_only: bool) -> None:
        try:
            async with lane.slot():
                taken = await transitions.take_over(
                    job_id, worker=self.context.worker_id, lane=lane.id,
                    lease_seconds=self.settings.lease_seconds, expired_only=expired_only,
                )
                if taken:
                    log.info("re-attaching to job %s on %s", job_id, lane.comfy_url)
                    await self._run(lane, job_id, adopt=True)
        finally:
            self._running.pop(job_id, None)

    async def _run(self, lane: Lane, job_id: uuid.UUID, *, adopt: bool) -> None:
        job = await repository.get(job_id)
        if job is None:
            return
        try:
            await JobRunner(self.context, lane, job).run(adopt=adopt)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("job %s crashed the runner", job_id)
            error = f"Studio's worker failed while running the job: {exc}"
            if await transitions.conclude(
                job_id, worker=self.context.worker_id, status="failed", error=error, error_details={"type": "worker_error"}
            ):
                self.context.events.publish(JobFailed(job_id=job_id, workflow=job.workflow, error=error))

    # --- recovery --------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        first = True
        while True:
            try:
                await self.sweep(at_start=first)
                first = False
            except Exception:
                log.exception("recovery sweep failed; trying again")
            await asyncio.sleep(self.settings.recovery_interval)

    async def sweep(self, *, at_start: bool) -> None:
        """Send lost queue messages again, re-attach this host's interrupted jobs, rescue orphans.

        At start-up this host's lanes adopt all their processing jobs at once: the process
        that ran them is gone. Later only those whose lease ran out.
        """
        assert self.lanes is not None
        resend_after = 0 if at_start and self.sole_worker else self.settings.resend_after
        for job_id in await transitions.due_for_resend(resend_after):
            await self.context.queue.enqueue(job_id)
        for lane in self.lanes.all:
            for job_id in await transitions.processing_on_lane(lane.id, expired_only=not at_start):
                if job_id not in self._running:
                    self._running[job_id] = asyncio.create_task(self._adopt(lane, job_id, expired_only=not at_start))
        # Jobs of lanes no worker serves any more: settle them on that lane's ComfyUI.
        grace = 0 if self.sole_worker else self.settings.lease_seconds * ORPHAN_LEASES
        for job_id in await transitions.orphaned(grace):
            job = await repository.get(job_id)
            if job is None or job.id in self._running or job.lane in self.lanes.by_id:
                continue
            self._running[job_id] = asyncio.create_task(self._rescue(job_id, job.lane))

    async def _rescue(self, job_id: uuid.UUID, lane_id: str | None) -> None:
        """Follow an orphan where its worker left it - its prompt may still run, or be done -
        so it never runs twice; send it again only when that ComfyUI does not answer (a ComfyUI
        that is down runs nothing, and forgets everything when it starts again)."""
        async with self.borrowed.borrow(lane_id) if lane_id else contextlib.nullcontext() as lane:
            if lane is not None:
                log.info("job %s was on lane %r which no worker serves; following it there", job_id, lane_id)
                await self._adopt(lane, job_id, expired_only=True)
                return
        self._running.pop(job_id, None)
        if await transitions.requeue(job_id, worker=None):
            log.info("job %s was on lane %r whose ComfyUI does not answer; sending it again", job_id, lane_id)
            await self.context.queue.enqueue(job_id)


class RuntimeMiddleware(Middleware):
    """Opens the runtime on the AsyncIO middleware's event loop once the worker boots."""

    def __init__(self, runtime: WorkerRuntime) -> None:
        self.runtime = runtime

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._call(self.runtime.start())

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._call(self.runtime.stop())

    @staticmethod
    def _call(coroutine) -> None:
        thread = get_event_loop_thread()
        assert thread is not None, "the AsyncIO middleware must come first"
        asyncio.run_coroutine_threadsafe(coroutine, thread.loop).result(timeout=60)


def start_worker(runtime: WorkerRuntime) -> dramatiq.Worker:
    """Declare the actor, boot a Dramatiq worker with one thread per lane slot, and start it."""
    broker = runtime.broker

    async def run_job(job_id: str) -> None:
        try:
            await runtime.run_message(uuid.UUID(job_id))
        except asyncio.CancelledError:
            pass  # shutting down: the job stays processing and is re-attached on the next start

    dramatiq.actor(run_job, broker=broker, actor_name=ACTOR, queue_name=QUEUE, max_retries=0, time_limit=ACTOR_TIME_LIMIT_MS)
    broker.add_middleware(RuntimeMiddleware(runtime))
    # Without this an embedded worker silently ignores time limits (DESIGN pitfalls).
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=runtime.threads, worker_timeout=100)
    # Take only what the lanes can run now, so an idle GPU on another host gets the rest.
    worker.queue_prefetch = runtime.threads
    worker.start()
    return worker
