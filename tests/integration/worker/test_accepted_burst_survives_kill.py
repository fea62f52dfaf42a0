"""Nothing accepted is lost: a burst of submissions answered 202 (many of them sharing a commit,
server/jobs/intake.py), then kill -9 of `studio serve` right after the last answer; on the same
data dir every one of those jobs is there after the restart and runs to finished."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.comfyui_double.settings import DoubleSettings
from tests.common.stacks import MODELS
from tests.integration.worker.stack import Stack

JOBS = 500
CLIENTS = 32
DEADLINE_SECONDS = 180


@pytest.fixture
def double_settings() -> DoubleSettings:
    return DoubleSettings(models=MODELS, job_seconds=0)


async def _burst(url: str) -> list[str]:
    """JOBS submissions by CLIENTS clients at once; the ids of those answered 202 (all of them)."""
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=CLIENTS)) as client:

        async def one(seed: int) -> None:
            response = await client.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a fox", "seed": seed}})
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])

        await asyncio.gather(*(one(seed) for seed in range(JOBS)))
    return ids


def _statuses(stack: Stack) -> dict[str, str]:
    """Every job's status, read page by page."""
    statuses: dict[str, str] = {}
    cursor = None
    while True:
        page = stack.http.get("/api/jobs", params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        statuses.update({job["id"]: job["status"] for job in page["items"]})
        if not (cursor := page["next_cursor"]):
            return statuses


def test_every_accepted_job_survives_kill_and_finishes(single_stack: Stack) -> None:
    accepted = asyncio.run(_burst(single_stack.url))
    single_stack.kill_worker()  # kill -9 of the one process, right after the last 202

    assert len(set(accepted)) == JOBS
    single_stack.restart_worker()
    deadline = time.monotonic() + DEADLINE_SECONDS
    statuses = _statuses(single_stack)
    assert set(accepted) <= set(statuses), f"{len(set(accepted) - set(statuses))} accepted jobs are gone"
    while any(statuses[job_id] != "finished" for job_id in accepted) and time.monotonic() < deadline:
        time.sleep(0.5)
        statuses = _statuses(single_stack)
    unfinished = {statuses[job_id] for job_id in accepted} - {"finished"}
    assert not unfinished, f"jobs left {unfinished}:\n{single_stack.log.read_text()[-3000:]}"
