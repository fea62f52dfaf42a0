"""A key's limits (KeyLimits) and the queue cap (STUDIO_MAX_QUEUED), checked as a job or an upload
is stored.

The checks count rows, and the insert follows in the same transaction, which first takes a lock
that serialises the submissions of one key (of everyone while the queue cap is set): two requests
cannot both see room for one more, however many API processes share the database. PostgreSQL:
a transaction-scoped advisory lock; SQLite: BEGIN IMMEDIATE, its one write lock (a submission
waits for it up to the busy timeout). Without a limit to check nothing is locked or counted.

Not Litestar's RateLimitMiddleware: it counts every request of a client against one limit for
all, in a store of its own; a key's rate counts its submissions only, with a limit of its own,
and the jobs table already records them - exactly, across every API host, with no second store.
"""

from __future__ import annotations

import datetime
import hashlib
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from server.access.schemas import Caller, KeyLimits
from server.clock import utc_now
from server.config import Settings
from server.db.tables import Job as JobRow
from server.errors import PayloadTooLarge, TooManyRequests, Unavailable
from server.jobs import repository as jobs
from server.uploads import repository as uploads

T = TypeVar("T")

# Advisory lock classes (the first of pg_advisory_xact_lock's two keys): job submissions and
# uploads of one key wait for each other only within their kind.
JOB_LOCKS = 0x53544A42
UPLOAD_LOCKS = 0x53545550
# The second key while the queue cap is set: one lock for every submission.
QUEUE_WIDE = 0

WINDOW = datetime.timedelta(seconds=60)
# Guesses for Retry-After where no row says when room frees up: a job runs for seconds to minutes.
JOB_ENDS_SECONDS = 10
QUEUE_MOVES_SECONDS = 30


def checks_job(caller: Caller, settings: Settings) -> bool:
    """Whether a job of `caller`'s is admitted by `admit_job` (a key's limits, the queue cap)."""
    return _keyed(caller) or settings.max_queued is not None


def _keyed(caller: Caller) -> bool:
    limits = caller.limits
    return caller.name is not None and any((limits.max_queued, limits.submits_per_minute, limits.gpu_minutes_per_day))


async def admit_job(caller: Caller, settings: Settings, insert: Callable[[], Awaitable[T]], *, count: int = 1) -> T:
    """`insert()`'s result, once the queue and `caller`'s limits have room for `count` more jobs
    (a sweep's are admitted whole or not at all); TooManyRequests (the key's limits) or Unavailable
    (the queue is full) with a sentence, and nothing inserted, when not."""
    limits = caller.limits
    keyed = _keyed(caller)
    cap = settings.max_queued
    if not keyed and cap is None:
        return await insert()
    async with _serialised(JOB_LOCKS, None if cap is not None else caller.name):
        if cap is not None:
            await _check_queue(cap, count)
        if keyed:
            assert caller.name is not None
            await _check_key(caller.name, limits, count)
        return await insert()


async def admit_upload(caller: Caller, size: int, settings: Settings, insert: Callable[[], Awaitable[T]]) -> T:
    """`insert()`'s result, once `caller`'s stored uploads and this one of `size` bytes fit its
    upload quota; TooManyRequests with a sentence (PayloadTooLarge if the upload alone is over the
    quota: waiting cannot help), and nothing inserted, when not."""
    quota = caller.limits.upload_bytes
    if caller.name is None or quota is None:
        return await insert()
    name = caller.name
    if size > quota:
        raise PayloadTooLarge(f"The key {name!r} may store {quota:,} bytes of uploads; this image alone is {size:,} bytes.")
    async with _serialised(UPLOAD_LOCKS, name):
        used = await uploads.stored_bytes(name)
        if used + size > quota:
            oldest = await uploads.oldest(name) or utc_now()
            retention = datetime.timedelta(hours=settings.upload_retention_hours)
            wait = _seconds_until(oldest + retention)
            raise TooManyRequests(
                f"The key {name!r} may store {quota:,} bytes of uploads and stores {used:,}, so this image "
                f"({size:,} bytes) does not fit; uploads are removed {settings.upload_retention_hours} h after "
                f"they were made, the oldest of them in {_duration(wait)}.",
                retry_after=wait,
            )
        return await insert()


@asynccontextmanager
async def _serialised(lock_class: int, name: str | None) -> AsyncIterator[None]:
    """A transaction that holds the lock of `name`'s submissions (of all, for None) until it ends."""
    engine = JobRow._meta.db
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate):
            yield
        return
    async with engine.transaction():
        await JobRow.raw("SELECT pg_advisory_xact_lock({}, {})", lock_class, _lock_id(name))
        yield


def _lock_id(name: str | None) -> int:
    """A 32-bit key for `name` (two names sharing one only wait for each other)."""
    if name is None:
        return QUEUE_WIDE
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big", signed=True)


async def _check_queue(cap: int, count: int) -> None:
    queued, _ = await jobs.active_totals()
    if queued + count > cap:
        full = "The queue is full" if count == 1 else f"The queue has no room for these {count} jobs"
        raise Unavailable(
            f"{full}: {queued} jobs are waiting, the most this Studio takes (STUDIO_MAX_QUEUED={cap}); "
            f"try again in {QUEUE_MOVES_SECONDS} s.",
            retry_after=QUEUE_MOVES_SECONDS,
        )


async def _check_key(name: str, limits: KeyLimits, count: int) -> None:
    now = utc_now()
    these = "" if count == 1 else f", too many for these {count} more"
    if limits.max_queued is not None:
        active = await jobs.active_count(name)
        if active + count > limits.max_queued:
            raise TooManyRequests(
                f"The key {name!r} may have {limits.max_queued} jobs queued or running at once and has {active}{these}; "
                "submit again when one of them ends, or cancel one.",
                retry_after=JOB_ENDS_SECONDS,
            )
    if limits.submits_per_minute is not None:
        most = limits.submits_per_minute
        recent = await jobs.submitted_since(name, now - WINDOW, limit=most)
        if len(recent) + count > most:
            # The window has room again once the oldest of the latest `most` submissions leaves it.
            # (None recent: a sweep of more jobs than the limit, which no wait makes room for.)
            wait = _seconds_until(recent[-1] + WINDOW, now) if recent else int(WINDOW.total_seconds())
            raise TooManyRequests(
                f"The key {name!r} may submit {most} jobs a minute and has submitted {len(recent)} in the last "
                f"60 seconds{these}; try again in {_duration(wait)}.",
                retry_after=wait,
            )
    if limits.gpu_minutes_per_day is not None:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        spans = await jobs.run_spans(name, midnight)
        # Only the part of each run since midnight counts; a running job counts up to now.
        used = sum(((end or now) - max(start, midnight)).total_seconds() for start, end in spans) / 60
        if used >= limits.gpu_minutes_per_day:
            wait = _seconds_until(midnight + datetime.timedelta(days=1), now)
            raise TooManyRequests(
                f"The key {name!r} has used {math.floor(used)} of its {limits.gpu_minutes_per_day} GPU minutes "
                f"today (UTC); it may submit again after midnight UTC, in {_duration(wait)}.",
                retry_after=wait,
            )


def _seconds_until(moment: datetime.datetime, now: datetime.datetime | None = None) -> int:
    return max(1, math.ceil((moment - (now or utc_now())).total_seconds()))


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
