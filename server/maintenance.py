"""Retention: old outputs and uploads are removed at start-up and every hour.

Finished, failed and cancelled jobs older than STUDIO_OUTPUT_RETENTION_DAYS lose their files
and are soft-deleted (favorites are kept); uploads older than STUDIO_UPLOAD_RETENTION_HOURS
are deleted. Every API host may run it: each step is idempotent.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress

import msgspec
from litestar import Litestar

from server.config import Settings
from server.db.tables import Job, Upload, utc_now
from server.jobs.schemas import TERMINAL_STATUSES
from server.storage import LocalStorage

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0


class CleanupReport(msgspec.Struct):
    jobs: int
    uploads: int


async def clean_up(settings: Settings, storage: LocalStorage) -> CleanupReport:
    now = utc_now()
    job_cutoff = now - datetime.timedelta(days=settings.output_retention_days)
    expired_jobs = await Job.select(Job.id).where(
        Job.status.is_in(list(TERMINAL_STATUSES))
        & (Job.is_deleted == False)  # noqa: E712
        & (Job.favorite == False)  # noqa: E712
        & (Job.finished_at < job_cutoff)
    )
    for row in expired_jobs:
        storage.delete_tree("outputs", str(row["id"]))
        await Job.update({Job.is_deleted: True}).where(Job.id == row["id"])

    upload_cutoff = now - datetime.timedelta(hours=settings.upload_retention_hours)
    expired_uploads = await Upload.select(Upload.id, Upload.name).where(
        (Upload.is_deleted == False) & (Upload.created_at < upload_cutoff)  # noqa: E712
    )
    for row in expired_uploads:
        storage.delete("uploads", row["name"])
        await Upload.update({Upload.is_deleted: True}).where(Upload.id == row["id"])
    return CleanupReport(jobs=len(expired_jobs), uploads=len(expired_uploads))


def retention(settings: Settings, storage: LocalStorage) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Lifespan: clean up now and every hour while the app runs."""

    async def loop(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                report = await clean_up(settings, storage)
                if report.jobs or report.uploads:
                    log.info("retention: removed %d old jobs' outputs and %d old uploads", report.jobs, report.uploads)
            except Exception:
                log.exception("retention clean-up failed; trying again in an hour")
            with suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), INTERVAL_SECONDS)

    @asynccontextmanager
    async def run(_: Litestar) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        task = asyncio.create_task(loop(stopping), name="retention")
        try:
            yield
        finally:
            # Let a clean-up under way finish (it takes milliseconds): cancelled mid-query, SQLite's
            # worker thread would answer a closed event loop.
            stopping.set()
            await task

    return run
