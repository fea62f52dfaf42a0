"""The last hour at a glance (GET /api/stats), loaded again every few seconds while shown."""

from __future__ import annotations

import datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from client.errors import ClientError
from tui.screens.base import MainScreen
from tui.widgets.stats.figures import StatsView

REFRESH_SECONDS = 5


class StatsScreen(MainScreen):
    PLACE = "Stats"
    BINDINGS = [Binding("ctrl+r", "reload", "Reload")]
    AUTO_FOCUS = "#workflows"

    def __init__(self) -> None:
        super().__init__()
        self._loaded_at: datetime.datetime | None = None
        # A Studio that stays away is told once, not at every refresh (the badge says offline too).
        self._failing = False

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        yield StatsView(id="stats")
        yield Static("loading…", id="refreshed")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self._tick)

    def on_screen_resume(self) -> None:
        self.load_stats()  # shown (again): the figures of now, not of when it was left

    def _tick(self) -> None:
        if self.is_current:
            self.load_stats()

    def action_reload(self) -> None:
        self.load_stats(asked=True)

    @work(exclusive=True, group="stats")
    async def load_stats(self, asked: bool = False) -> None:
        try:
            stats = await self.studio.api.stats()
        except ClientError as exc:
            if asked or not self._failing:
                self.notify(str(exc), title="Could not load the stats", severity="error")
            self._failing = True
        else:
            self._failing, self._loaded_at = False, self.studio.clock()
            self.query_one(StatsView).show(stats)
        self._show_refreshed()

    def _show_refreshed(self) -> None:
        loaded = self._loaded_at.astimezone().strftime("%H:%M:%S") if self._loaded_at else None
        if self._failing:
            text = f"Studio did not answer; trying again every {REFRESH_SECONDS}s"
            if loaded:
                text += f" · these figures are from {loaded}"
        else:
            text = f"Updated {loaded} · again every {REFRESH_SECONDS}s"
        self.query_one("#refreshed", Static).update(text)
