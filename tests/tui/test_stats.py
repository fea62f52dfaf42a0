"""The Stats view (`3`): the last hour's figures of known jobs from a real Studio, kept fresh
while shown; drawn at 80x24 and 120x40 from a fixed Stats value."""

from __future__ import annotations

import asyncio
import datetime

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Static

from server.stats.schemas import LaneState, Percentiles, Stats, WorkflowCounts
from tests.common.paths import REPO
from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack
from tests.tui.notices import Notices
from tests.tui.studio_data import FAR_FUTURE, insert_jobs, job_row, until
from tui.app import StudioApp
from tui.screens.history import HistoryScreen
from tui.screens.queue import QueueScreen
from tui.screens.stats import StatsScreen
from tui.widgets.stats.figures import StatsView, WorkflowTable

UTC = datetime.timezone.utc
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
# A busy hour: one lane down, a run time not measured yet (null), more workflows than fit at 80x24 with the lanes.
FIXED = Stats(
    window_seconds=3600,
    finished_per_minute=2.45,
    finished=147,
    failed=3,
    cancelled=2,
    wait=Percentiles(p50=0.42, p90=6.2, p99=95.0),
    run=Percentiles(p50=14.2, p90=62.0, p99=None),
    queued=4,
    processing=2,
    lanes=[LaneState(url="http://127.0.0.1:8188", up=True), LaneState(url="http://gpu-host-2.studio.internal:8188", up=False)],
    workflows=[
        WorkflowCounts(workflow="image_edit", finished=3, failed=0, cancelled=0),
        WorkflowCounts(workflow="text_to_image", finished=117, failed=2, cancelled=1),
        WorkflowCounts(workflow="text_to_image_unet", finished=27, failed=1, cancelled=1),
    ],
)


def _text(screen: StatsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _lines(widget: Static) -> list[list[str]]:
    """The words of each line the widget draws."""
    return [strip.text.split() for strip in widget.render_lines(Region(0, 0, *widget.size))]


def _rows(table: WorkflowTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


async def test_the_stats_show_the_last_hours_figures_and_keep_up(single_stack: Stack, double: ComfyDouble) -> None:
    now = datetime.datetime.now(UTC)
    ago = lambda minutes: now - datetime.timedelta(minutes=minutes)  # noqa: E731
    # Every job here waited 2 s and ran 12 s (job_row's times): whatever the percentile method.
    unet = {"workflow": "text_to_image_unet"}
    await insert_jobs(
        single_stack,
        [
            *(job_row(n, ago(10 + n), f"fox {n}") for n in range(4)),
            *(job_row(n, ago(10 + n), f"owl {n}", **unet) for n in (4, 5)),
            job_row(6, ago(20), "failed owl", status="failed", **unet),
            job_row(7, ago(25), "cancelled fox", status="cancelled"),
            job_row(8, ago(120), "long ago: outside the window"),
            job_row(9, ago(1), "queued fox", status="queued"),
            job_row(10, ago(0.5), "queued owl", status="queued"),
            # Another host's running job: nothing here touches it.
            job_row(
                11, ago(5), "running fox", status="processing", finished_at=None, worker="gpu-host-2 1", lease_expires_at=FAR_FUTURE
            ),
        ],
    )
    app = StudioApp(single_stack.url)
    notices = Notices()
    async with app.run_test(size=(80, 24), message_hook=notices) as pilot:
        await until(pilot, lambda: app.connection == "connected", what="the live feed")
        await pilot.press("3")
        screen = await until(pilot, lambda: app.screen if isinstance(app.screen, StatsScreen) else None, what="the stats")
        await until(pilot, lambda: "6 finished" in _text(screen, "#outcomes"), what="the figures")

        assert _text(screen, "#window-title") == "Last 60 minutes"
        assert _text(screen, "#outcomes") == "6 finished · 1 failed · 1 cancelled"
        assert _text(screen, "#throughput") == "0.1 finished a minute"
        assert _lines(screen.query_one("#times", Static)) == [
            ["p50", "p90", "p99"],
            ["Wait", "2.0s", "2.0s", "2.0s"],
            ["Run", "12s", "12s", "12s"],
        ]
        assert _text(screen, "#queue-now") == "Running 1 · queued 2"
        assert _text(screen, "#lanes") == f"● up    {double.url}"
        table = screen.query_one(WorkflowTable)
        assert _rows(table) == [["text_to_image", "4", "0", "1"], ["text_to_image_unet", "2", "1", "0"]]
        assert _text(screen, "#refreshed").startswith("Updated ")

        # All of it on an 80x24 terminal, above the footer.
        for widget in screen.query_one(StatsView).query(Static):
            assert widget.region.bottom <= 22, widget
        assert table.region.bottom <= 22 and table.region.height > table.row_count  # the header and every row
        assert screen.query_one("#refreshed").region.bottom <= 23

        # A job submitted now wakes the worker, which runs it and the two queued ones: the view
        # follows by itself, within a refresh.
        job = single_stack.submit(prompt="a new fox")
        await asyncio.to_thread(single_stack.wait, job["id"])
        await until(pilot, lambda: _text(screen, "#queue-now") == "Running 1 · queued 0", what="the queue to empty")
        await until(pilot, lambda: _text(screen, "#outcomes") == "9 finished · 1 failed · 1 cancelled", what="the refresh")
        assert _rows(table) == [["text_to_image", "7", "0", "1"], ["text_to_image_unet", "2", "1", "0"]]

        # 1, 2, 3 switch between the three screens from each of them.
        screens = {"1": QueueScreen, "2": HistoryScreen, "3": StatsScreen}
        for key in "132321213":  # from each screen to each other one
            kind = screens[key]
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, kind), what=f"{key} to show the {kind.__name__}")

        # Studio away: ctrl+r says why, and the figures stay.
        await asyncio.to_thread(single_stack.api.stop)
        await pilot.press("ctrl+r")
        notice = await until(pilot, lambda: [n for n in notices.posted if n.title == "Could not load the stats"], what="the notice")
        assert "Could not reach Studio" in notice[0].message
        await until(pilot, lambda: "Studio did not answer" in _text(screen, "#refreshed"), what="the status line")
        assert _text(screen, "#outcomes") == "9 finished · 1 failed · 1 cancelled"


class FixedStats(App[None]):
    """The Stats view alone, drawn from FIXED with the TUI's stylesheet."""

    CSS_PATH = REPO / "tui" / "studio.tcss"

    def compose(self) -> ComposeResult:
        yield StatsView()

    def on_mount(self) -> None:
        self.query_one(StatsView).show(FIXED)


@pytest.mark.parametrize("size", SIZES)
def test_stats_view(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(FixedStats(), terminal_size=size)
