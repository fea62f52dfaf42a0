"""EventBus on a real Redis: one seq per job across publishers, and a subscription that survives."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio

from server.config import load_settings
from server.events.bus import EventBus
from server.events.fanout import EVENTS_MISSED
from server.events.schemas import JobStatus
from server.events.subscription import Subscription
from server.storage import LocalStorage
from tests.integration.events.scaled import REDIS_URL, redis_ready


@pytest.fixture
async def buses(tmp_path: Path) -> AsyncIterator[tuple[EventBus, EventBus, EventBus]]:
    """An API process's bus and two publish-only worker buses, as in three processes."""
    settings = load_settings({}, overrides={"data_dir": str(tmp_path), "redis_url": redis_ready()})
    api, first, second = (EventBus(settings, LocalStorage(tmp_path)) for _ in range(3))
    await api.start()
    await first.start(listen=False)
    await second.start(listen=False)
    yield api, first, second
    for bus in (second, first, api):
        await bus.stop()


async def next_event(subscription: Subscription) -> JobStatus:
    item = await asyncio.wait_for(subscription.get(), 5)
    assert item is not None and isinstance(item[0], JobStatus)
    return item[0]


async def test_publishers_share_one_seq_per_job_and_arrive_in_seq_order(buses: tuple[EventBus, EventBus, EventBus]) -> None:
    api, first, second = buses
    job = uuid.uuid4()
    with api.subscribe(Subscription()) as subscription:
        for n in range(50):
            (first if n % 2 else second).publish(JobStatus(job_id=job, workflow="w", status="processing", progress=n))
        received = [await next_event(subscription) for _ in range(50)]
    assert [event.seq for event in received] == list(range(1, 51))
    assert await api.current_seqs([job, uuid.uuid4()]) == [50, 0]


async def test_the_subscription_comes_back_after_redis_drops_it_and_clients_start_over(
    buses: tuple[EventBus, EventBus, EventBus],
) -> None:
    api, worker, _ = buses
    job = uuid.uuid4()
    with api.subscribe(Subscription()) as before:
        worker.publish(JobStatus(job_id=job, workflow="w", status="processing"))
        assert (await next_event(before)).seq == 1
        admin = redis.asyncio.Redis.from_url(REDIS_URL)
        # Only this process's subscription: other Studio processes may share this Redis.
        ours = [c for c in await admin.client_list(_type="pubsub") if c["name"] == f"studio-events-{os.getpid()}"]
        assert len(ours) == 1
        await admin.client_kill_filter(_id=ours[0]["id"])
        await admin.aclose()
        # Once subscribed again, the bus closes every client: what was sent meanwhile is lost.
        assert await asyncio.wait_for(before.get(), 10) is None
        assert before.resync_reason == EVENTS_MISSED
    with api.subscribe(Subscription()) as after:
        worker.publish(JobStatus(job_id=job, workflow="w", status="processing"))
        assert (await next_event(after)).seq == 2


async def test_installations_on_other_redis_databases_do_not_hear_each_other(tmp_path: Path) -> None:
    ours = redis_ready()
    other = ours.rsplit("/", 1)[0] + "/12"
    mine = EventBus(load_settings({}, overrides={"data_dir": str(tmp_path), "redis_url": ours}), LocalStorage(tmp_path))
    theirs = EventBus(load_settings({}, overrides={"data_dir": str(tmp_path), "redis_url": other}), LocalStorage(tmp_path))
    await mine.start()
    await theirs.start(listen=False)
    try:
        with mine.subscribe(Subscription()) as subscription:
            theirs.publish(JobStatus(job_id=uuid.uuid4(), workflow="w", status="processing"))
            await theirs.flush()
            mine.publish(JobStatus(job_id=(job := uuid.uuid4()), workflow="w", status="processing"))
            assert (await next_event(subscription)).job_id == job, "only our own database's event arrives"
    finally:
        await theirs.stop()
        await mine.stop()
