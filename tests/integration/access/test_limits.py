"""A key's limits and the queue cap: each refuses with its status, its sentence and Retry-After,
stores nothing for a refused submit, and leaves other keys alone; under 50 concurrent submissions
against a limit of 10, exactly 10 get through (a real `studio serve`, SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar.testing import TestClient

from server.access import repository as keys
from server.access import tokens
from server.access.schemas import KeyLimits
from server.app import create_app
from server.clock import utc_now
from server.config import Settings
from server.db.engine import connect, disconnect
from server.db.migrate import migrate
from server.db.tables import Job as JobRow
from server.jobs import transitions
from tests.common.services import truncate
from tests.integration.api.test_openapi import operations, schema
from tests.integration.api.test_uploads import image_bytes
from tests.served import serve_studio

JOB = {"workflow": "text_to_image", "params": {"prompt": "a red fox"}}


async def insert_key(name: str, limits: KeyLimits, role: str = "user") -> dict[str, str]:
    """A new key (what `studio keys create` makes) in the bound database, as a request header."""
    token = tokens.new_token()
    await keys.insert(name, role, limits, token, tokens.stored(token))  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token.text}"}


def key(client: TestClient, name: str, **limits: int) -> dict[str, str]:
    return client.blocking_portal.call(insert_key, name, KeyLimits(**limits))


def submit(client: TestClient, headers: dict[str, str]) -> httpx.Response:
    return client.post("/api/jobs", json=JOB, headers=headers)


def rows(client: TestClient) -> list[dict]:
    """Every job row, deleted ones too: what a refused submit must leave as it was."""

    async def select() -> list[dict]:
        return await JobRow.select(JobRow.id, JobRow.owner, JobRow.is_deleted).order_by(JobRow.created_at)

    return client.blocking_portal.call(select)


def set_row(client: TestClient, job_id: str, **values: object) -> None:
    """Move a job back in time (or through a run) as the clock and a worker would have."""

    async def update() -> None:
        await JobRow.update({getattr(JobRow, column): value for column, value in values.items()}).where(
            JobRow.id == uuid.UUID(job_id)
        )

    client.blocking_portal.call(update)


def refusal(response: httpx.Response, status: int) -> tuple[str, int]:
    """The refusal's sentence and Retry-After (which the sentence repeats where it names a wait)."""
    assert response.status_code == status, response.text
    return response.json()["detail"], int(response.headers["retry-after"])


def test_max_queued_refuses_the_next_submit_until_a_job_ends(client: TestClient) -> None:
    alice, bob = key(client, "alice", max_queued=2), key(client, "bob")
    first = submit(client, alice).json()
    assert submit(client, alice).status_code == 202
    before = rows(client)

    expected = (
        "The key 'alice' may have 2 jobs queued or running at once and has 2; "
        "submit again when one of them ends, or cancel one."
    )
    assert refusal(submit(client, alice), 429) == (expected, 10)
    remix = client.post(f"/api/jobs/{first['id']}/remix", json={}, headers=alice)
    assert refusal(remix, 429) == (expected, 10)
    legacy = client.post("/api/generate", json={"prompt": "a red fox"}, headers=alice)
    assert refusal(legacy, 429) == (expected, 10)
    assert rows(client) == before, "a refused submit stores nothing"

    assert submit(client, bob).status_code == 202, "alice's limit is hers alone"
    assert client.post(f"/api/jobs/{first['id']}/cancel", headers=alice).status_code == 200
    assert submit(client, alice).status_code == 202, "a cancelled job makes room"


def test_submits_per_minute_is_a_sliding_window_that_deleting_does_not_reopen(client: TestClient) -> None:
    alice, bob = key(client, "alice", submits_per_minute=3), key(client, "bob", submits_per_minute=3)
    ids = [submit(client, alice).json()["id"] for _ in range(3)]
    assert client.delete(f"/api/jobs/{ids[0]}", headers=alice).status_code == 204
    before = rows(client)

    # The oldest of the three was submitted 50 s ago: the window has room again in 10 s.
    set_row(client, ids[0], created_at=utc_now() - datetime.timedelta(seconds=50))
    detail, retry_after = refusal(submit(client, alice), 429)
    assert 9 <= retry_after <= 11
    assert detail == (
        f"The key 'alice' may submit 3 jobs a minute and has submitted 3 in the last 60 seconds; try again in {retry_after} s."
    )
    assert rows(client) == before
    assert submit(client, bob).status_code == 202, "alice's limit is hers alone"

    set_row(client, ids[0], created_at=utc_now() - datetime.timedelta(seconds=61))
    assert submit(client, alice).status_code == 202, "the oldest submission left the window"
    assert submit(client, alice).status_code == 429


def test_the_daily_gpu_budget_counts_todays_run_time_until_utc_midnight(client: TestClient) -> None:
    alice, bob = key(client, "alice", gpu_minutes_per_day=2), key(client, "bob", gpu_minutes_per_day=2)
    midnight = utc_now().replace(hour=0, minute=0, second=0, microsecond=0)

    def at(seconds: int) -> datetime.datetime:
        return midnight + datetime.timedelta(seconds=seconds)

    yesterdays, todays = (submit(client, alice).json()["id"] for _ in range(2))
    # A run from 23:00 to 00:00:30 counts 30 s; today's 95 s: 2 min 5 s in all.
    set_row(client, yesterdays, started_at=at(-3600), finished_at=at(30), status="finished")
    set_row(client, todays, started_at=at(60), finished_at=at(155), status="finished")
    assert client.delete(f"/api/jobs/{todays}", headers=alice).status_code == 204, "deleting gives no GPU time back"
    before = rows(client)

    detail, retry_after = refusal(submit(client, alice), 429)
    assert abs(retry_after - (at(86400) - utc_now()).total_seconds()) <= 2
    prefix = "The key 'alice' has used 2 of its 2 GPU minutes today (UTC); it may submit again after midnight UTC, in "
    assert detail.startswith(prefix) and re.fullmatch(r"(\d+ h )?\d+ min\.|\d+ s\.", detail.removeprefix(prefix)), detail
    assert rows(client) == before
    assert submit(client, bob).status_code == 202, "alice's budget is hers alone"

    set_row(client, todays, finished_at=at(85))  # 30 s + 25 s: under the budget again
    assert submit(client, alice).status_code == 202


def test_a_job_sent_back_to_the_queue_spends_no_gpu_time_while_it_waits(client: TestClient) -> None:
    alice = key(client, "alice", gpu_minutes_per_day=1)
    job_id = submit(client, alice).json()["id"]

    async def run_then_lose() -> None:
        claimed = await transitions.claim(worker="gpu 1", lane="gpu http://comfy", lease_seconds=60)
        assert claimed is not None and str(claimed.id) == job_id
        assert await transitions.requeue(claimed.id, worker="gpu 1")  # ComfyUI lost it

    client.blocking_portal.call(run_then_lose)
    # Queued again for five minutes: its started_at stays until the next claim sets a new one.
    set_row(client, job_id, started_at=utc_now() - datetime.timedelta(minutes=5))
    assert submit(client, alice).status_code == 202


def test_the_queue_cap_answers_503_to_everyone_open_or_with_keys(settings: Settings) -> None:
    with TestClient(create_app(msgspec.structs.replace(settings, max_queued=2))) as client:
        assert client.post("/api/jobs", json=JOB).status_code == 202, "open mode: no key needed"
        alice = key(client, "alice")
        assert submit(client, alice).status_code == 202
        before = rows(client)
        expected = "The queue is full: 2 jobs are waiting, the most this Studio takes (STUDIO_MAX_QUEUED=2); try again in 30 s."
        assert refusal(submit(client, alice), 503) == (expected, 30)
        assert refusal(submit(client, key(client, "bob")), 503) == (expected, 30)
        assert rows(client) == before


def upload(client: TestClient, headers: dict[str, str], data: bytes) -> httpx.Response:
    return client.post("/api/uploads", files={"file": ("photo.png", data, "image/png")}, headers=headers)


def test_the_upload_quota_counts_the_keys_stored_uploads(client: TestClient, settings: Settings) -> None:
    data = image_bytes((64, 64))
    size = upload(client, key(client, "probe"), data).json()["size_bytes"]
    alice = key(client, "alice", upload_bytes=size * 2 + size // 2)
    bob = key(client, "bob", upload_bytes=size * 2 + size // 2)
    for _ in range(2):
        assert upload(client, alice, data).json()["size_bytes"] == size
    stored = sorted((settings.data_path / "uploads").iterdir())

    detail, retry_after = refusal(upload(client, alice, data), 429)
    assert detail == (
        f"The key 'alice' may store {size * 2 + size // 2:,} bytes of uploads and stores {size * 2:,}, so this image "
        f"({size:,} bytes) does not fit; uploads are removed {settings.upload_retention_hours} h after they were made, "
        f"the oldest of them in {settings.upload_retention_hours} h 0 min."
    )
    assert abs(retry_after - settings.upload_retention_hours * 3600) <= 5
    assert sorted((settings.data_path / "uploads").iterdir()) == stored, "a refused upload leaves no file"
    assert upload(client, bob, data).status_code == 201, "alice's quota is hers alone"

    large = key(client, "carol", upload_bytes=size - 1)
    too_large = upload(client, large, data)
    assert too_large.status_code == 413
    assert too_large.json()["detail"] == f"The key 'carol' may store {size - 1:,} bytes of uploads; this image alone is {size:,} bytes."


def test_the_submit_and_upload_routes_document_their_refusals(client: TestClient) -> None:
    documented = {name: set(operation["responses"]) for name, operation in operations(schema(client))}
    for name in ("POST /api/jobs", "POST /api/jobs/{job_id}/remix", "POST /api/generate"):
        assert {"429", "503"} <= documented[name], name
    assert {"413", "429"} <= documented["POST /api/uploads"]


# The race: 50 submissions at once against a limit of 10, through a real server and database.
RACERS = 50
LIMIT = 10


@pytest.fixture(params=["sqlite", "postgres"])
def race_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        (tmp_path / "data").mkdir()
        url = f"sqlite:///{tmp_path / 'data' / 'studio.sqlite'}"
        asyncio.run(migrate(url))
    else:
        url = request.getfixturevalue("postgres_url")
        asyncio.run(truncate(url))
    yield url


def test_fifty_concurrent_submits_against_a_limit_of_ten_let_exactly_ten_through(race_database: str, tmp_path: Path) -> None:
    async def make_keys() -> tuple[dict[str, str], dict[str, str]]:
        engine = await connect(race_database)
        try:
            return (
                await insert_key("alice", KeyLimits(max_queued=LIMIT)),
                await insert_key("bob", KeyLimits(submits_per_minute=LIMIT)),
            )
        finally:
            await disconnect(engine)

    alice, bob = asyncio.run(make_keys())

    async def race(url: str) -> list[tuple[str, int, str]]:
        limits = httpx.Limits(max_connections=2 * RACERS)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            async def one(name: str, headers: dict[str, str]) -> tuple[str, int, str]:
                response = await http.post("/api/jobs", json=JOB, headers=headers)
                return name, response.status_code, response.json().get("detail", "")

            racers = [one("alice", alice) for _ in range(RACERS)] + [one("bob", bob) for _ in range(RACERS)]
            return await asyncio.gather(*racers)

    with serve_studio(tmp_path, {"STUDIO_DATABASE_URL": race_database}) as served:
        results = asyncio.run(race(served.url))
        log = served.log.read_text()

    for name in ("alice", "bob"):
        statuses = sorted(status for who, status, _ in results if who == name)
        assert statuses == [202] * LIMIT + [429] * (RACERS - LIMIT), f"{name}: {statuses}\n{log[-3000:]}"
    waiting = {re.sub(r"try again in .*", "try again in ...", detail) for _, status, detail in results if status == 429}
    assert len(waiting) == 2, waiting  # one sentence for each limit

    async def owners() -> list[str]:
        engine = await connect(race_database)
        try:
            return [row["owner"] for row in await JobRow.select(JobRow.owner)]
        finally:
            await disconnect(engine)

    assert sorted(asyncio.run(owners())) == ["alice"] * LIMIT + ["bob"] * LIMIT
