"""Retention: old outputs and uploads are removed at start-up and every hour.

Finished, failed and cancelled jobs older than STUDIO_OUTPUT_RETENTION_DAYS lose their files
and are soft-deleted (favorites are kept), and so do sweeps finished before then (their contact
sheets); uploads older than STUDIO_UPLOAD_RETENTION_HOURS
are deleted; so are the rows of browser sessions that ended. Every API host may run it: each step
is idempotent.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress

import msgspec
from litestar import Litestar

from server.access import sessions
from server.clock import utc_now
from server.config import Settings
from server.jobs import repository as jobs
from server.storage import LocalStorage
from server.sweeps import repository as sweeps
from server.sweeps.service import sheet_folder
from server.uploads import repository as uploads

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0


class CleanupReport(msgspec.Struct):
    jobs: int
    uploads: int
    sweeps: int = 0


async def clean_up(settings: Settings, storage: LocalStorage) -> CleanupReport:
    now = utc_now()
    job_cutoff = now - datetime.timedelta(days=settings.output_retention_days)
    expired_jobs = await jobs.ended_before(job_cutoff)
    for job_id in expired_jobs:
        storage.delete_tree("outputs", str(job_id))
        await jobs.soft_delete(job_id)
    # A sweep goes with its cells: its contact sheet is as old as the last of them.
    expired_sweeps = await sweeps.finished_before(job_cutoff)
    for sweep_id in expired_sweeps:
        storage.delete_tree("outputs", sheet_folder(sweep_id))
        await sweeps.soft_delete(sweep_id)

    upload_cutoff = now - datetime.timedelta(hours=settings.upload_retention_hours)
    expired_uploads = await uploads.created_before(upload_cutoff)
    for upload_id, name in expired_uploads:
        storage.delete("uploads", name)
        await uploads.soft_delete(upload_id)
    await sessions.remove_ended(now)
    return CleanupReport(jobs=len(expired_jobs), uploads=len(expired_uploads), sweeps=len(expired_sweeps))


def retention(settings: Settings, storage: LocalStorage) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Lifespan: clean up now and every hour while the app runs."""

    async def loop(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                report = await clean_up(settings, storage)
                if report.jobs or report.uploads or report.sweeps:
                    log.info(
                        "retention: removed %d old jobs' outputs, %d old uploads and %d old sweeps' contact sheets",
                        report.jobs, report.uploads, report.sweeps,
                    )
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
