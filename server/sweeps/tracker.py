"""Sweep progress and contact sheets, in every `studio serve` process.

Each API process hears every job's end (its event bus's fan-out). For a job that is a sweep's cell
it recounts the sweep's ended cells with one guarded UPDATE (server/sweeps/repository.py recount),
so that of several API hosts only the one whose count moved publishes `sweep.progress` - through
the bus, to every host's /ws/events clients. Whoever moves the count to the total makes the contact
sheet, after claiming it (guarded again), stores it under the outputs folder and publishes a last
`sweep.progress` carrying its URL. A check every CHECK_SECONDS (and at start-up) catches the sweeps
whose last event was missed: a host that was down, a job deleted while queued, a sheet whose
maker died.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import io
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from PIL import Image

from server.events.bus import EventBus
from server.events.schemas import Event, JobCancelled, JobDeleted, JobFailed, JobFinished
from server.storage import LocalStorage
from server.sweeps import repository
from server.sweeps.schemas import Sweep, SweepProgress
from server.sweeps.service import SweepService, first_image, sheet_path
from server.sweeps.sheet import SheetCell, contact_sheet

log = logging.getLogger("studio.sweeps")

CHECK_SECONDS = 30.0
# A process that claimed a sheet and made none in this long died: another one makes it.
SHEET_STALE = datetime.timedelta(minutes=2)


class SweepTracker:
    def __init__(self, bus: EventBus, storage: LocalStorage, sweeps: SweepService) -> None:
        self.bus = bus
        self.storage = storage
        self.sweeps = sweeps  # presents a sweep and its cells as the API does (links signed)
        # Jobs that ended and belong to a sweep (None: whether it does is still to be looked up).
        self._ended: dict[uuid.UUID, uuid.UUID | None] = {}
        self._woken = asyncio.Event()
        bus.fanout.listen(self._on_event)

    def _on_event(self, event: Event) -> None:
        # job.finished carries the job and its sweep; the other ends are looked up, in one query.
        if isinstance(event, JobFinished):
            if event.job.sweep_id is not None:
                self._ended[event.job_id] = event.job.sweep_id
                self._woken.set()
        elif isinstance(event, JobFailed | JobCancelled | JobDeleted):
            self._ended.setdefault(event.job_id, None)
            self._woken.set()

    async def run(self) -> None:
        await self._check_all()
        while True:
            try:
                async with asyncio.timeout(CHECK_SECONDS):
                    await self._woken.wait()
            except TimeoutError:
                await self._check_all()
                continue
            self._woken.clear()
            ended, self._ended = self._ended, {}
            try:
                await self._count(ended)
            except Exception:
                log.exception("Could not count the ended cells of sweeps; the next check (in %.0f s) tries again.", CHECK_SECONDS)

    async def _count(self, ended: dict[uuid.UUID, uuid.UUID | None]) -> None:
        looked_up = await repository.of_jobs([job_id for job_id, sweep_id in ended.items() if sweep_id is None])
        for job_id, sweep_id in ended.items():
            if sweep_id := sweep_id or looked_up.get(job_id):
                await self.recount(sweep_id, job_id)

    async def _check_all(self) -> None:
        try:
            for sweep_id in await repository.without_sheet():
                await self.recount(sweep_id)
                await self.make_sheet(sweep_id)
        except Exception:
            log.exception("Could not check the unfinished sweeps; trying again in %.0f s.", CHECK_SECONDS)

    async def recount(self, sweep_id: uuid.UUID, job_id: uuid.UUID | None = None) -> None:
        """Publish the sweep's progress if this process's count moved it (with the cell of `job_id`,
        the job whose end moved it), and make its sheet once every cell has ended."""
        moved = await repository.recount(sweep_id)
        if moved is None:
            return
        ended, total = moved
        sweep = await self._present(sweep_id)
        if sweep is None:
            return
        cell = next((cell for cell in sweep.cells if cell.job_id == job_id), None)
        self.bus.publish(
            SweepProgress(sweep_id=sweep.id, owner=sweep.owner, state=sweep.state, counts=sweep.counts, total=total, cell=cell)
        )
        if ended >= total:
            await self.make_sheet(sweep_id)

    async def make_sheet(self, sweep_id: uuid.UUID) -> None:
        """Make, store and announce the contact sheet, if every cell has ended and no other
        process took it on."""
        if not await repository.claim_sheet(sweep_id, stale_after=SHEET_STALE):
            return
        stored = await repository.get(sweep_id)
        if stored is None:
            return
        cells = [
            SheetCell(
                index=cell.index,
                image=self.storage.path("outputs", image.path) if (image := first_image(cell)) else None,
                mark=cell.status if cell.status in ("failed", "cancelled") else "no image",
            )
            for cell in await repository.cells(sweep_id)
        ]
        path = sheet_path(sweep_id)
        # Decoding and scaling a few dozen images takes a while: off the event loop.
        await asyncio.to_thread(lambda: self.storage.write("outputs", path, _png(contact_sheet(stored.axes, cells))))
        await repository.set_sheet(sweep_id, path)
        sweep = await self._present(sweep_id)
        if sweep is None:
            return
        log.info("sweep %s finished: %s; contact sheet %s", sweep_id, sweep.counts, path)
        self.bus.publish(
            SweepProgress(
                sweep_id=sweep.id, owner=sweep.owner, state=sweep.state, counts=sweep.counts, total=len(sweep.cells),
                contact_sheet_url=sweep.contact_sheet_url,
            )
        )

    async def _present(self, sweep_id: uuid.UUID) -> Sweep | None:
        stored = await repository.get(sweep_id)
        return self.sweeps.present(stored, await repository.cells(sweep_id)) if stored else None


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def lifespan(bus: EventBus, storage: LocalStorage, sweeps: SweepService) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Tracks sweeps while the app serves; needs the database connected and the bus running."""

    @asynccontextmanager
    async def run(_: Litestar) -> AsyncIterator[None]:
        task = asyncio.create_task(SweepTracker(bus, storage, sweeps).run(), name="studio-sweeps")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return run
