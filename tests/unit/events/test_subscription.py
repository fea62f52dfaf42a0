import asyncio
import uuid

from server.events.schemas import JobProgress, JobStatus, QueueTotals
from server.events.subscription import TOO_FAR_BEHIND, Subscription
from tests.common.live import drain

JOB, OTHER = uuid.uuid4(), uuid.uuid4()


def progress(job: uuid.UUID, percent: int) -> JobProgress:
    return JobProgress(job_id=job, workflow="w", percent=percent)


def status(worker: str) -> JobStatus:
    return JobStatus(job_id=JOB, workflow="w", status="processing", worker=worker)


async def test_queued_progress_is_replaced_in_place_by_newer_progress_of_the_same_job() -> None:
    subscription = Subscription()
    for event in (progress(JOB, 10), status("a"), progress(JOB, 20), progress(OTHER, 5), progress(JOB, 30)):
        subscription.offer(event, "")
    events = await drain(subscription)
    assert [(type(e).__name__, getattr(e, "percent", None)) for e in events] == [
        ("JobProgress", 30),  # the slot of the first progress, holding the newest value
        ("JobStatus", None),
        ("JobProgress", 5),
    ]


async def test_a_full_queue_drops_new_progress_and_makes_room_for_status_events() -> None:
    subscription = Subscription(capacity=3)
    subscription.offer(progress(JOB, 1), "")
    subscription.offer(status("a"), "")
    subscription.offer(QueueTotals(queued=1, processing=0), "")
    subscription.offer(progress(OTHER, 1), "")  # full: dropped
    subscription.offer(status("b"), "")  # full: evicts the oldest droppable message
    events = await drain(subscription)
    assert [type(e).__name__ for e in events] == ["JobStatus", "QueueTotals", "JobStatus"]
    assert subscription.resync_reason is None


async def test_a_queue_full_of_status_events_closes_the_subscription() -> None:
    subscription = Subscription(capacity=2)
    for worker in "abc":
        subscription.offer(status(worker), "")
    assert subscription.resync_reason == TOO_FAR_BEHIND and subscription.closed
    assert await subscription.get() is None


async def test_get_waits_for_the_next_message_and_ends_on_close() -> None:
    subscription = Subscription(lambda event: event.job_id == JOB)
    waiting = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    subscription.offer(progress(OTHER, 1), "ignored")  # refused by the filter
    subscription.offer(progress(JOB, 1), "text")
    assert (await waiting)[1] == "text"
    waiting = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    subscription.close()
    assert await waiting is None
