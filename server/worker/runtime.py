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
from collections.abc import Awaitable

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware, MiddlewareError

from server.db.engine import disconnect, open_pool
from server.db.tables import Job as JobRow
from server.events.schemas import JobFailed
from server.jobs import failures, repository, transitions
from server.jobs.schemas import Job
from server.logs import about_job
from server.services import Services
from server.worker.broker import ACTOR, QUEUE, RedisRestarts
from server.worker.lanes import SLOTS_PER_LANE, Lane, Lanes, Slot, borrowed_lane
from server.worker.runner import JobRunner, WorkerContext

log = logging.getLogger(__name__)

# Dramatiq's own time limit would kill long renders; leases guard running jobs instead.
ACTOR_TIME_LIMIT_MS = 7 * 24 * 3600 * 1000
# A lane whose worker has not renewed a lease for this many lease periods is not coming back.
ORPHAN_LEASES = 10
# Dramatiq's worker_timeout: how long its threads wait for work before looking again. The
# in-memory queue wakes them at once; Redis is polled, backing off up to this long while idle or
# while every slot is busy (sleeps of half to all of it), so a message waits for a worker about
# half of it: ~40 ms at 100 ms, ~4 ms at 10 ms, small next to the 15 ms Studio may add. The price,
# measured on the 2-core machine: an idle worker runs ~270 fetch scripts a second (its queue and
# its delay queue) and ~5% of a core, against ~27 and next to nothing at 100 ms.
IDLE_MS = 100
REDIS_IDLE_POLL_MS = 10


class WorkerRuntime:
    def __init__(self, services: Services, *, embedded: bool) -> None:
        """`embedded`: the worker inside `studio serve`, sharing the API's services and running
        event bus; otherwise a `studio worker` process that starts its (publish-only) bus."""
        settings = self.settings = services.settings
        self.broker = services.broker
        self.events = services.events  # started and stopped here when not embedded
        self.embedded = embedded
        # Without Redis this process is the only worker there is: nobody else can hold a job.
        self.sole_worker = not settings.redis_url
        self.context = WorkerContext(
            settings=settings,
            storage=services.storage,
            workflows=services.workflows,
            queue=services.queue,
            events=services.events,
            worker_id=f"{settings.resolved_worker_name}/{os.getpid()}/{uuid.uuid4().hex[:6]}",
        )
        self.lanes: Lanes | None = None
        self._redis_restarts = RedisRestarts(services.broker)
        self._running: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def threads(self) -> int:
        return SLOTS_PER_LANE * len(self.settings.comfy_urls)

    # --- lifecycle (on the worker's event loop) ------------------------------------

    async def start(self) -> None:
        await open_pool(JobRow._meta.db)
        if not self.embedded:
            await self.events.start(listen=False)
        name = self.settings.resolved_worker_name
        self.lanes = Lanes([Lane(name, url) for url in self.settings.comfy_urls])
        for lane in self.lanes.all:
            await lane.start()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="recovery-sweep")

    async def stop(self) -> None:
        """Leave running jobs as they are: their lanes re-attach to them on the next start."""
        self._stopping = True
        for job_id in self._running:
            with about_job(job_id, self.context.worker_id):
                log.info("stopping: job %s is left running in ComfyUI, to be re-attached on the next start", job_id)
        tasks = [t for t in [self._sweeper, *self._running.values()] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.lanes:
            for lane in self.lanes.all:
                await lane.close()
        if not self.embedded:
            await self.events.stop()
        await disconnect(JobRow._meta.db)

    # --- jobs ------------------------------------------------------------------------

    async def run_message(self, sent_for: uuid.UUID) -> None:
        """A queue message says there is work: once a lane slot is free, claim the next job in
        fair order (server/jobs/fair_queue.py) and run it, whichever job's submit (or requeue)
        sent the message (`sent_for`); with no job queued, drop the message.

        Returns once the slot is free again, when ComfyUI is done with the job's prompt: the
        job's ending goes on in its own task while this thread takes the next message."""
        assert self.lanes is not None, "RuntimeMiddleware starts the runtime before any message is consumed"
        lane = self.lanes.least_busy()
        slot = await lane.take_slot()
        work = asyncio.create_task(self._claim_and_run(lane, slot, sent_for))
        await slot.released()
        if work.done():
            work.result()  # what went wrong before the job ran (a claim that failed) is the message's

    async def _claim_and_run(self, lane: Lane, slot: Slot, sent_for: uuid.UUID) -> None:
        with slot:
            if self._stopping:  # a message taken as the worker stops: its job stays queued for the next
                log.info("stopping: the message sent for job %s is left; the job stays queued", sent_for)
                return
            job = await transitions.claim(worker=self.context.worker_id, lane=lane.id, lease_seconds=self.settings.lease_seconds)
            if job is None:
                log.info("the message sent for job %s found no job queued; dropped", sent_for)
                return
            with about_job(job.id, self.context.worker_id):
                log.info("claimed job %s for ComfyUI at %s", job.id, lane.comfy_url)
                self._running[job.id] = asyncio.current_task()  # type: ignore[assignment]
                await self._tracked(job.id, self._run(lane, slot, job, adopt=False))

    def _track(self, job_id: uuid.UUID, work: Awaitable[bool]) -> None:
        """Work on a job in the background (re-attach, rescue), registered as this process's."""
        self._running[job_id] = asyncio.create_task(self._tracked(job_id, work))

    async def _tracked(self, job_id: uuid.UUID, work: Awaitable[bool]) -> None:
        """Await work on a job registered in _running by the current task; send the job again
        when the work sent it back to the queue."""
        task = asyncio.current_task()
        try:
            with about_job(job_id, self.context.worker_id):
                requeued = await work
        finally:
            # Once back in the queue, the job may already be claimed again, and registered by
            # another task: that registration stays.
            if self._running.get(job_id) is task:
                del self._running[job_id]
        if requeued:
            await self.context.queue.enqueue(job_id)

    async def _adopt(self, lane: Lane, job_id: uuid.UUID, *, expired_only: bool) -> bool:
        with await lane.take_slot() as slot:
            job = await transitions.take_over(
                job_id, worker=self.context.worker_id, lane=lane.id,
                lease_seconds=self.settings.lease_seconds, expired_only=expired_only,
            )
            if job is None:
                return False
            log.info("re-attaching to job %s on %s", job_id, lane.comfy_url)
            return await self._run(lane, slot, job, adopt=True)

    async def _run(self, lane: Lane, slot: Slot, job: Job, *, adopt: bool) -> bool:
        """Run the job on the lane; True when it went back to the queue (see JobRunner.run)."""
        try:
            return await JobRunner(self.context, lane, slot, job).run(adopt=adopt)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("job %s crashed the runner", job.id)
            error, failure = f"Studio's worker failed while running the job: {exc}", failures.WorkerError()
            if await transitions.conclude(job.id, worker=self.context.worker_id, status="failed", error=error, failure=failure):
                self.context.events.publish(JobFailed(job_id=job.id, workflow=job.workflow, owner=job.owner, error=error, error_details=failure))
            return False

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
        that ran them is gone. Later only those whose lease ran out. Every queued job is sent
        again at once when the broker surely lost its messages: an in-memory one at start-up,
        a Redis that restarted.
        """
        assert self.lanes is not None
        resend_after = self.settings.resend_after
        if at_start and self.sole_worker:
            resend_after = 0
        elif await self._redis_restarts.happened():
            log.info("Redis started again and lost the messages it held; sending every queued job again")
            resend_after = 0
        for job_id in await transitions.due_for_resend(resend_after):
            await self.context.queue.enqueue(job_id)
        for lane in self.lanes.all:
            for job_id in await transitions.processing_on_lane(lane.id, expired_only=not at_start):
                if job_id not in self._running:
                    self._track(job_id, self._adopt(lane, job_id, expired_only=not at_start))
        # Jobs of lanes no worker serves any more: settle them on that lane's ComfyUI.
        grace = 0 if self.sole_worker else self.settings.lease_seconds * ORPHAN_LEASES
        for job_id in await transitions.orphaned(grace):
            job = await repository.get(job_id)
            if job is None or job.id in self._running or job.lane in self.lanes.by_id:
                continue
            self._track(job_id, self._rescue(job_id, job.lane))

    async def _rescue(self, job_id: uuid.UUID, lane_id: str | None) -> bool:
        """Follow an orphan where its worker left it - its prompt may still run, or be done -
        so it never runs twice; send it again only when that ComfyUI does not answer (a ComfyUI
        that is down runs nothing, and forgets everything when it starts again)."""
        async with borrowed_lane(lane_id) if lane_id else contextlib.nullcontext() as lane:
            if lane is not None:
                log.info("job %s was on lane %r which no worker serves; following it there", job_id, lane_id)
                return await self._adopt(lane, job_id, expired_only=True)
        if not await transitions.requeue(job_id, worker=None):
            return False
        log.info("job %s was on lane %r whose ComfyUI does not answer; sending it again", job_id, lane_id)
        return True


class StartFailed(MiddlewareError):
    """The runtime did not start (its cause says why). Dramatiq lets only MiddlewareErrors out
    of a boot hook; anything else it logs and carries on, with a worker that cannot work."""


class RuntimeMiddleware(Middleware):
    """Opens the runtime on the AsyncIO middleware's event loop before the worker consumes a
    single message (a message that came first would find no lanes), closes it at shutdown."""

    def __init__(self, runtime: WorkerRuntime) -> None:
        self.runtime = runtime

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        try:
            self._call(self.runtime.start())
        except Exception as exc:
            raise StartFailed(str(exc)) from exc

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Take no more messages: a thread ends once its current one returns (the runtime's stop
        # ends them at once), and Dramatiq gives what it had fetched back to the broker.
        for thread in worker.workers:
            thread.stop()
        self._call(self.runtime.stop())

    @staticmethod
    def _call(coroutine) -> None:
        thread = get_event_loop_thread()
        assert thread is not None, "the AsyncIO middleware must come first"
        asyncio.run_coroutine_threadsafe(coroutine, thread.loop).result(timeout=60)


def start_worker(runtime: WorkerRuntime) -> dramatiq.Worker:
    """Declare the actor, boot a Dramatiq worker with one thread per lane slot, and start it."""
    broker = runtime.broker

    async def run_job(sent_for: str) -> None:
        try:
            await runtime.run_message(uuid.UUID(sent_for))
        except asyncio.CancelledError:
            pass  # shutting down: the job stays processing and is re-attached on the next start

    dramatiq.actor(run_job, broker=broker, actor_name=ACTOR, queue_name=QUEUE, time_limit=ACTOR_TIME_LIMIT_MS)
    # After AsyncIO (added by make_broker): its event loop must run before the runtime starts on it.
    broker.add_middleware(RuntimeMiddleware(runtime))
    # Dramatiq's CLI emits process_boot; a Worker started in-process must emit it itself, or the
    # TimeLimit middleware (started in after_process_boot) never runs and limits are ignored.
    broker.emit_after("process_boot")
    idle_ms = IDLE_MS if runtime.sole_worker else REDIS_IDLE_POLL_MS
    worker = dramatiq.Worker(broker, worker_threads=runtime.threads, worker_timeout=idle_ms)
    # Take only what the lanes can run now, so an idle GPU on another host gets the rest.
    worker.queue_prefetch = runtime.threads
    try:
        worker.start()
    except StartFailed as failed:
        broker.emit_after("worker_shutdown", worker)  # stops AsyncIO's event loop thread
        cause = failed.__cause__
        assert cause is not None
        raise cause from None
    return worker
