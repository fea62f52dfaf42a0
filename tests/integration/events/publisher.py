"""A worker stand-in: a plain Python process publishing through EventBus to Redis.

    python -m tests.integration.events.publisher run JOB_JSON OUTCOME     # status, progress, outcome
    python -m tests.integration.events.publisher burst COUNT BYTES        # COUNT failures of BYTES each, timed

The environment carries STUDIO_REDIS_URL and STUDIO_DATA_DIR, as for `studio worker`.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

import msgspec

from server.config import load_settings
from server.events.bus import EventBus
from server.events.schemas import JobCancelled, JobFailed, JobFinished, JobProgress, JobStatus
from server.jobs.failures import ExecutionError
from server.jobs.schemas import Job, Output
from server.storage import LocalStorage


async def run(bus: EventBus, job: Job, outcome: str) -> None:
    bus.publish(JobStatus(job_id=job.id, workflow=job.workflow, status="processing", progress=10, worker="stand-in"))
    for step in range(1, 11):
        bus.publish(JobProgress(job_id=job.id, workflow=job.workflow, percent=10 + step * 8, node="3", node_class="KSampler", step=step, total=10))
        await asyncio.sleep(0.12)
    if outcome == "finished":
        output = Output(path=f"{job.id}/fox_00001_.png", url=f"/outputs/{job.id}/fox_00001_.png", filename="fox_00001_.png")
        done = msgspec.structs.replace(job, status="finished", progress=100, outputs=[output])
        bus.publish(JobFinished(job_id=job.id, workflow=job.workflow, job=done))
    elif outcome == "failed":
        failure = ExecutionError(node_id="3", node_type="KSampler", exception_type="torch.OutOfMemoryError", exception_message="", traceback=[])
        bus.publish(JobFailed(job_id=job.id, workflow=job.workflow, error="ComfyUI ran out of memory on node 3 (KSampler).", error_details=failure))
    else:
        bus.publish(JobCancelled(job_id=job.id, workflow=job.workflow))


async def burst(bus: EventBus, count: int, size: int) -> None:
    # As large as ComfyUI's tracebacks can be.
    traceback = ExecutionError(node_id="3", node_type="KSampler", exception_type="RuntimeError", exception_message="", traceback=["x" * size])
    started = time.perf_counter()
    for _ in range(count):
        bus.publish(JobFailed(job_id=uuid.uuid4(), workflow="burst", error="out of memory", error_details=traceback))
    print(f"published {count} in {time.perf_counter() - started:.3f} s", flush=True)


async def main(argv: list[str]) -> None:
    settings = load_settings()
    bus = EventBus(settings, LocalStorage(settings.data_path))
    await bus.start(listen=False)
    try:
        if argv[0] == "run":
            await run(bus, msgspec.json.decode(argv[1], type=Job), argv[2])
        else:
            await burst(bus, int(argv[1]), int(argv[2]))
    finally:
        await bus.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
