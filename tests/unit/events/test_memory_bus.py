"""The bus in single-process mode, without any app: threads publish, a subscription receives."""

from __future__ import annotations

import asyncio
import threading
import uuid
from pathlib import Path

from server.config import load_settings
from server.events.bus import EventBus
from server.events.schemas import JobCancelled, JobProgress, JobStatus
from server.events.subscription import Subscription
from server.storage import LocalStorage
from tests.common.live import drain


def bus_for(tmp_path: Path) -> EventBus:
    return EventBus(load_settings({}, overrides={"data_dir": str(tmp_path)}), LocalStorage(tmp_path))


async def test_publishing_from_many_threads_keeps_each_threads_order_and_one_seq_per_job(tmp_path: Path) -> None:
    bus = bus_for(tmp_path)
    await bus.start()
    jobs = [uuid.uuid4() for _ in range(4)]
    with bus.subscribe(Subscription()) as subscription:

        def worker(job: uuid.UUID) -> None:
            for n in range(200):
                bus.publish(JobStatus(job_id=job, workflow="w", status="processing", progress=n))

        threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        received: dict[uuid.UUID, list[tuple[int, int]]] = {job: [] for job in jobs}
        for _ in range(800):
            item = await asyncio.wait_for(subscription.get(), 5)
            assert item is not None
            event = item[0]
            assert isinstance(event, JobStatus)
            received[event.job_id].append((event.seq, event.progress))
    for job in jobs:
        assert received[job] == [(n + 1, n) for n in range(200)]
        assert await bus.current_seqs([job]) == [200]
    await bus.stop()


async def test_stop_sends_what_was_published_and_later_publishes_are_dropped(tmp_path: Path) -> None:
    bus = bus_for(tmp_path)
    await bus.start()
    job = uuid.uuid4()
    subscription = Subscription()
    bus.fanout.add(subscription)
    bus.publish(JobStatus(job_id=job, workflow="w", status="processing"))
    await bus.stop()
    bus.publish(JobStatus(job_id=job, workflow="w", status="queued"))  # logged, not raised
    assert subscription.closed  # stop() ends every client's stream
    assert await bus.current_seqs([job]) == [1]


async def test_a_terminal_event_ends_the_jobs_counter_and_pending_progress(tmp_path: Path) -> None:
    bus = bus_for(tmp_path)
    await bus.start()
    job = uuid.uuid4()
    with bus.subscribe(Subscription()) as subscription:
        bus.publish(JobProgress(job_id=job, workflow="w", percent=10))
        bus.publish(JobProgress(job_id=job, workflow="w", percent=20))  # throttled: pending
        bus.publish(JobCancelled(job_id=job, workflow="w"))
        await bus.flush()
        assert await bus.current_seqs([job]) == [0]
        events = await drain(subscription, quiet=0.3)  # past the window the pending progress had
    assert [(type(e).__name__, e.seq) for e in events] == [("JobProgress", 1), ("JobCancelled", 2)]
    await bus.stop()
