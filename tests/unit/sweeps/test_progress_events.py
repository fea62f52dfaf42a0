"""sweep.progress on the bus: delivered in order among job events without taking a seq of theirs,
and to the live feeds of its owner (and of every owner's) only."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from server.events.schemas import JobStatus, SweepProgress
from server.events.subscription import Subscription, event_filter
from tests.unit.events.test_memory_bus import bus_for


def progress(owner: str | None) -> SweepProgress:
    return SweepProgress(sweep_id=uuid.uuid4(), owner=owner, state="running", counts={"finished": 1}, total=4)


async def test_sweep_progress_travels_among_job_events_and_leaves_their_seq_alone(tmp_path: Path) -> None:
    bus = bus_for(tmp_path)
    await bus.start()
    job = uuid.uuid4()
    sent = [
        JobStatus(job_id=job, workflow="w", status="processing"),
        progress("alice"),
        JobStatus(job_id=job, workflow="w", status="processing", progress=50),
    ]
    with bus.subscribe(Subscription()) as subscription:
        for event in sent:
            bus.publish(event)
        received = [(await asyncio.wait_for(subscription.get(), 5))[0] for _ in sent]  # type: ignore[index]
    await bus.stop()
    assert [type(event) for event in received] == [JobStatus, SweepProgress, JobStatus]
    assert [received[0].seq, received[2].seq] == [1, 2]
    assert received[1].ts is not None and received[1].sweep_id == sent[1].sweep_id


def test_a_feed_takes_the_sweep_progress_of_its_owner_whatever_its_job_filters() -> None:
    alices, bobs, everyones = progress("alice"), progress("bob"), event_filter((), None, None)
    alice_failed_only = event_filter(("failed",), "text_to_image", "alice")
    assert alice_failed_only(alices) and not alice_failed_only(bobs)
    assert everyones(alices) and everyones(bobs)
