"""The fair queue (server/jobs/fair_queue.py) on real SQLite and PostgreSQL: the job a worker
claims next, and the queue as the snapshot lists it - one order."""

from __future__ import annotations

import asyncio
import datetime
import uuid

import pytest

from server.db.engine import bind
from server.db.tables import Job as JobRow
from server.jobs import repository, transitions

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


class Jobs:
    """Jobs inserted with a name each, so an order reads as names: ["a1", "b1", ...]."""

    def __init__(self) -> None:
        self.names: dict[uuid.UUID, str] = {}

    async def add(self, name: str, owner: str | None, *, at: float, priority: int = 0, **values) -> uuid.UUID:
        job = await repository.insert(
            {"workflow": "text_to_image", "owner": owner, "priority": priority, "created_at": T0 + datetime.timedelta(seconds=at), **values}
        )
        self.names[job.id] = name
        return job.id

    async def claims(self, count: int) -> list[str | None]:
        """What `count` workers claim, one after another (None: nothing queued)."""
        claimed = [await claim() for _ in range(count)]
        return [self.names[job_id] if job_id else None for job_id in claimed]

    async def listed(self, workflow: str | None = None) -> list[str]:
        return [self.names[job_id] for job_id in await repository.active_ids((), workflow, limit=100)]


async def claim() -> uuid.UUID | None:
    job = await transitions.claim(worker="gpu 1", lane="gpu http://comfy", lease_seconds=60)
    return job.id if job else None


@pytest.fixture
def jobs(database_url: str) -> Jobs:
    bind(database_url)
    return Jobs()


async def test_owners_take_turns(jobs: Jobs) -> None:
    for i in range(3):
        await jobs.add(f"a{i}", "alice", at=i)
    for i in range(3):
        await jobs.add(f"b{i}", "bob", at=10 + i)
    assert await jobs.listed() == ["a0", "b0", "a1", "b1", "a2", "b2"]
    assert await jobs.claims(7) == ["a0", "b0", "a1", "b1", "a2", "b2", None]


async def test_a_job_submitted_after_a_hundred_of_someone_elses_starts_next(jobs: Jobs) -> None:
    for i in range(102):
        await jobs.add(f"a{i}", "alice", at=i)
    assert await jobs.claims(2) == ["a0", "a1"]
    await jobs.add("b0", "bob", at=200)
    assert (await jobs.listed())[:4] == ["a0", "a1", "b0", "a2"]  # the two running, then the queue
    assert await jobs.claims(3) == ["b0", "a2", "a3"]


async def test_higher_priority_first_and_turns_within_a_priority(jobs: Jobs) -> None:
    await jobs.add("a0", "alice", at=0)
    await jobs.add("a1", "alice", at=1)
    await jobs.add("c0", "carol", at=5, priority=5)
    await jobs.add("c1", "carol", at=6, priority=5)
    await jobs.add("d0", "dave", at=7, priority=5)
    assert await jobs.listed() == ["c0", "d0", "c1", "a0", "a1"]
    assert await jobs.claims(5) == ["c0", "d0", "c1", "a0", "a1"]


async def test_oldest_first_within_an_owner_whatever_the_insert_order(jobs: Jobs) -> None:
    await jobs.add("a-late", "alice", at=9)
    await jobs.add("a-early", "alice", at=1)
    await jobs.add("a-middle", "alice", at=5)
    assert await jobs.claims(3) == ["a-early", "a-middle", "a-late"]


async def test_on_one_turn_the_owner_served_longest_ago_goes_first(jobs: Jobs) -> None:
    def served(seconds: float) -> dict:
        return {"status": "finished", "started_at": T0 + datetime.timedelta(seconds=seconds)}

    await jobs.add("alice's old job", "alice", at=0, **served(50))
    await jobs.add("bob's old job", "bob", at=0, **served(40))
    await jobs.add("a0", "alice", at=60)
    await jobs.add("b0", "bob", at=70)  # younger than a0, but bob was served longer ago
    await jobs.add("n0", None, at=80)  # without a key: never served, so before both
    await jobs.add("n1", None, at=81)  # and every job without a key is one owner's
    assert await jobs.listed() == ["n0", "b0", "a0", "n1"]
    assert await jobs.claims(4) == ["n0", "b0", "a0", "n1"]


async def test_the_snapshot_lists_the_order_jobs_start_in(jobs: Jobs) -> None:
    """Owners never served yet keep the order of their first turn in every later turn: alice's
    second job is younger than bob's second, yet alice, who came first, goes first again."""
    await jobs.add("a0", "alice", at=0)
    await jobs.add("b0", "bob", at=5)
    await jobs.add("b1", "bob", at=10)
    await jobs.add("a1", "alice", at=20, workflow="upscale")
    await jobs.add("running", "carol", at=30, status="processing", started_at=T0)
    listed = await jobs.listed()
    assert listed == ["running", "a0", "b0", "a1", "b1"]
    # Narrowed to one workflow: the same places, the others left out.
    assert await jobs.listed("upscale") == ["a1"]
    assert await jobs.claims(4) == listed[1:]


async def test_cancelled_and_deleted_jobs_are_never_claimed(jobs: Jobs) -> None:
    await jobs.add("cancelled", "alice", at=0, status="cancelled")
    assert await repository.soft_delete(await jobs.add("deleted", "alice", at=1))
    await jobs.add("queued", "alice", at=2)
    assert await jobs.claims(2) == ["queued", None]


async def test_a_claim_holds_the_job_under_its_own_prompt_id(jobs: Jobs) -> None:
    job_id = await jobs.add("a0", "alice", at=0)
    assert await claim() == job_id
    job = await repository.get(job_id)
    assert job is not None
    assert (job.status, job.worker, job.lane, job.attempts, job.comfy_prompt_id) == (
        "processing", "gpu 1", "gpu http://comfy", 1, str(job_id)
    )
    assert job.started_at is not None and await repository.value(job_id, JobRow.lease_expires_at) is not None


async def test_concurrent_claims_take_every_job_exactly_once(jobs: Jobs) -> None:
    """Claims at once, each on a connection of its own (no pool on this event loop), more
    claims than jobs: every job claimed by one, the rest find the queue empty."""
    queued = {await jobs.add(f"{owner}{i}", owner, at=i) for owner in ("alice", "bob", "carol") for i in range(6)}
    claimed = await asyncio.gather(*(claim() for _ in range(len(queued) + 6)))
    taken = [job_id for job_id in claimed if job_id is not None]
    assert sorted(taken) == sorted(queued) and claimed.count(None) == 6
    rows = await JobRow.select(JobRow.status, JobRow.attempts)
    assert {(row["status"], row["attempts"]) for row in rows} == {("processing", 1)}
