"""The fair queue with real workers: a key that queued a hundred jobs does not make another key
wait for all of them (server/jobs/fair_queue.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from server.access import repository as keys
from server.access import tokens
from server.access.schemas import KeyLimits
from server.db.engine import bind
from server.db.tables import Job as JobRow
from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack

ALICE_JOBS = 100
T = TypeVar("T")


def in_stack_database(stack: Stack, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` on the stack's own database, from this test process."""

    async def run() -> T:
        bind(stack.env["STUDIO_DATABASE_URL"])
        return await work()

    return asyncio.run(run())


def key_header(stack: Stack, name: str) -> dict[str, str]:
    """A new user key named `name` (what `studio keys create` makes), as a request header."""

    async def insert() -> str:
        token = tokens.new_token()
        await keys.insert(name, "user", KeyLimits(), token, tokens.stored(token))
        return token.text

    return {"Authorization": f"Bearer {in_stack_database(stack, insert)}"}


def submit(stack: Stack, headers: dict[str, str], seed: int) -> uuid.UUID:
    params = {"prompt": "a red fox", "seed": seed, "steps": 30}
    response = stack.http.post("/api/jobs", json={"workflow": "text_to_image", "params": params}, headers=headers)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["id"])


def test_a_job_submitted_after_a_hundred_of_another_keys_starts_among_the_next_two(
    stack: Stack, double: ComfyDouble
) -> None:
    double.settings.step_seconds = 0.02  # 30 steps: over half a second a job, so alice's queue builds up
    alice, bob = key_header(stack, "alice"), key_header(stack, "bob")
    for seed in range(ALICE_JOBS):
        submit(stack, alice, seed)
    bobs = submit(stack, bob, 0)

    async def started_since_bob() -> tuple[list[uuid.UUID], int]:
        bob_row = await JobRow.select(JobRow.created_at, JobRow.started_at).where(JobRow.id == bobs).first()
        if bob_row["started_at"] is None:
            return [], 0
        rows = await JobRow.select(JobRow.id).where(JobRow.started_at >= bob_row["created_at"]).order_by(JobRow.started_at)
        queued = await JobRow.count().where((JobRow.owner == "alice") & (JobRow.status == "queued"))
        return [row["id"] for row in rows], queued

    deadline = time.monotonic() + 30
    started: list[uuid.UUID] = []
    while not started:
        assert time.monotonic() < deadline, f"bob's job never started:\n{stack.log.read_text()[-3000:]}"
        time.sleep(0.2)
        started, alice_queued = in_stack_database(stack, started_since_bob)
    assert alice_queued > 10, "alice's queue was short when bob's job started: the test proves nothing"
    # A claim already under way when bob submitted may start just before his job.
    assert bobs in started[:2], f"bob's job started as number {started.index(bobs) + 1} after his submit"
