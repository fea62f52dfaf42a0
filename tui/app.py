"""`studio tui`: the Textual app, its live feed, and the job actions every screen shares."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from contextlib import aclosing
from pathlib import Path
from typing import Literal

from textual import work
from textual.app import App
from textual.reactive import reactive
from textual.signal import Signal

from client.errors import ClientError, KeyRefused
from client.events import queue_events
from client.http import StudioClient
from server.clock import utc_now
from server.events.schemas import Message, QueueSnapshot
from server.jobs.schemas import ACTIVE_STATUSES, Job
from tui.live import RECENT, RECENT_FILTERS, LiveQueue
from tui.screens.confirm import ConfirmScreen
from tui.screens.detail import JobDetailScreen
from tui.screens.history import HistoryScreen
from tui.screens.job_form import JobFormScreen
from tui.screens.queue import QueueScreen
from tui.screens.stats import StatsScreen
from tui.screens.sweep import SweepScreen

Connection = Literal["connecting", "connected", "disconnected", "refused"]
# Reconnect delays: quick after a blip, at most every few seconds while Studio is down.
RETRY_FIRST, RETRY_MAX = 0.5, 4.0


class StudioApp(App[None]):
    CSS_PATH = "studio.tcss"
    TITLE = "Studio"
    MODES = {"queue": QueueScreen, "history": HistoryScreen, "stats": StatsScreen}
    DEFAULT_MODE = "queue"

    connection: reactive[Connection] = reactive("connecting")
    # The key names an admin may filter by; None hides owners (a user key, or Studio runs open).
    owners: reactive[tuple[str, ...] | None] = reactive(None)

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        save_dir: Path | None = None,
        clock: Callable[[], datetime.datetime] = utc_now,
    ) -> None:
        super().__init__()
        self.url = url.rstrip("/")
        self.api_key = api_key
        # Where outputs are saved on this machine (the TUI may run far from Studio).
        self.save_dir = save_dir or Path.cwd()
        # Elapsed times are measured against this (tests pass a fixed clock).
        self.clock = clock
        self.api = StudioClient(self.url, api_key=api_key)
        self.live = LiveQueue()
        # Every message of /ws/events, after `live` has taken it in. The job actions below change
        # nothing here themselves: their events (job.updated, job.deleted, ...) come back this way,
        # as a change made by another client does.
        self.live_events: Signal[Message] = Signal(self, "live-events")

    def on_mount(self) -> None:
        self.follow_live()

    async def on_unmount(self) -> None:
        await self.api.aclose()

    @work(exclusive=True, group="live")
    async def follow_live(self) -> None:
        """Connect to /ws/events, take in the snapshot and events; on a drop, retry, until
        Studio refuses the key (asking again would not help)."""
        delay = RETRY_FIRST
        while True:
            try:
                # aclosing: a failure in the loop's body closes the socket now, not at garbage collection.
                async with aclosing(queue_events(self.url, api_key=self.api_key)) as messages:
                    async for message in messages:
                        if isinstance(message, QueueSnapshot):
                            # The outcomes since we last looked; events take it from here.
                            recent = await self.api.jobs(RECENT_FILTERS, limit=RECENT)
                            self.live.reset(message, recent.items)
                            self.connection = "connected"
                            delay = RETRY_FIRST
                            self.load_owners()  # a restarted Studio may have keys now
                        else:
                            self.live.apply(message)
                        self.live_events.publish(message)
            except KeyRefused as exc:
                self.connection = "refused"
                self.notify(str(exc), title="No access to Studio", severity="error", timeout=30)
                return
            except ClientError as exc:
                self.log.warning(f"live feed: {exc}")
            self.connection = "disconnected"
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    @work(exclusive=True, group="owners")
    async def load_owners(self) -> None:
        """Owners are shown to an admin of a Studio with keys, with every key's name to filter by."""
        try:
            me = await self.api.me()
        except ClientError as exc:
            self.log.warning(f"owners: {exc}")  # the live feed says why Studio did not answer
            return
        if me.role != "admin" or not me.keys_required:
            self.owners = None
            return
        try:
            keys = await self.api.keys()
        except ClientError as exc:
            self.log.warning(f"owners: {exc}")
            keys = []  # the column still shows; there is nothing to filter by
        self.owners = tuple(sorted({key.name for key in keys}))

    # --- what every screen can do with a job -------------------------------------------------

    def open_job(self, job: Job) -> None:
        self.push_screen(JobDetailScreen(job))

    def new_job(self) -> None:
        self.push_screen(JobFormScreen())

    def remix(self, job: Job) -> None:
        self.push_screen(JobFormScreen(remix_of=job))

    @work(group="actions")
    async def open_sweep(self, job: Job) -> None:
        """The sweep the job is a cell of."""
        if job.sweep_id is None:
            self.notify("The job is not part of a sweep.", severity="warning")
            return
        try:
            sweep = await self.api.sweep(job.sweep_id)
        except ClientError as exc:
            self.notify(str(exc), title="Could not open the sweep", severity="error")
            return
        self.push_screen(SweepScreen(sweep))

    @work(group="actions")
    async def cancel(self, job: Job) -> None:
        if job.status not in ACTIVE_STATUSES:
            self.notify(f"The job is {job.status} already.", severity="warning")
            return
        try:
            changed = await self.api.cancel(job.id)
        except ClientError as exc:
            self.notify(str(exc), title="Could not cancel", severity="error")
            return
        self.notify("Cancelled." if changed.status == "cancelled" else "Stopping it in ComfyUI…", title="Cancel")

    @work(group="actions")
    async def toggle_favorite(self, job: Job) -> None:
        try:
            await self.api.set_favorite(job.id, not job.favorite)
        except ClientError as exc:
            self.notify(str(exc), title="Could not change the favorite", severity="error")

    @work(group="actions")
    async def delete(self, job: Job) -> None:
        prompt = " ".join(job.prompt.split())[:60] or job.workflow
        if not await self.push_screen_wait(ConfirmScreen(f"Delete this job and its files?\n\n{prompt}", action="Delete")):
            return
        try:
            await self.api.delete(job.id)
        except ClientError as exc:
            self.notify(str(exc), title="Could not delete", severity="error")
            return
        self.notify("Deleted.", title="Delete")


def run(url: str, api_key: str | None, save_dir: Path) -> int:
    StudioApp(url, api_key=api_key, save_dir=save_dir).run()
    return 0
