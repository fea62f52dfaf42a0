"""The Sweep screen: a sweep made from the new-job form fills in live against a real Studio, shows
its contact sheet, remixes a cell and cancels; drawn at 80x24 from a fixed Sweep value."""

from __future__ import annotations

import datetime
import uuid

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Footer

from client.http import StudioClient
from client.sweep_view import SweepView
from server.sweeps.schemas import Sweep, SweepAxis, SweepCell
from tests.common.paths import REPO
from tui.screens.sweep import SweepScreen
from tui.widgets.sweep.board import SweepBoard
from tui.widgets.sweep.grid import SweepGrid

# textual-image 0.12 draws previews with a Pillow call Pillow 12 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")

T0 = datetime.datetime(2026, 3, 14, 9, 0, tzinfo=datetime.timezone.utc)
CFG, SEED = [4, 6, 8], [1, 2, 3]
# Three rows done or failed, one running, the rest queued.
STATES = [("finished", 100), ("finished", 100), ("failed", 0), ("finished", 100), ("processing", 45), ("queued", 0), ("queued", 0), ("queued", 0), ("queued", 0)]
FIXED = Sweep(
    id=uuid.UUID(int=0x5EED),
    workflow="text_to_image",
    params={"prompt": "a red fox in fresh snow"},
    style=None,
    axes=[SweepAxis(name="cfg", values=CFG), SweepAxis(name="seed", values=SEED)],
    state="running",
    cells=[
        SweepCell(
            index=i, values={"cfg": CFG[i // 3], "seed": SEED[i % 3]}, job_id=uuid.UUID(int=i + 1), status=status, progress=progress,
            error="Node 3 (KSampler) failed: OutOfMemoryError: CUDA out of memory." if status == "failed" else None,
        )
        for i, (status, progress) in enumerate(STATES)
    ],
    counts={"finished": 3, "failed": 1, "processing": 1, "queued": 4},
    contact_sheet_url=None,
    owner=None,
    created_at=T0,
    finished_at=None,
)


class FixedSweep(App[None]):
    """The Sweep screen's board alone, drawn from FIXED with the TUI's stylesheet and the screen's keys."""

    CSS_PATH = REPO / "tui" / "studio.tcss"
    BINDINGS = SweepScreen.BINDINGS
    AUTO_FOCUS = SweepScreen.AUTO_FOCUS

    def compose(self) -> ComposeResult:
        yield SweepBoard(StudioClient("http://127.0.0.1:9"), id="sweep")  # no contact sheet yet: nothing to fetch
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SweepBoard).show(SweepView(FIXED))


def test_sweep_screen(snap_compare) -> None:
    async def on_the_failed_cell(pilot) -> None:
        pilot.app.query_one(SweepGrid).move_cursor(row=0, column=2)

    assert snap_compare(FixedSweep(), terminal_size=(80, 24), run_before=on_the_failed_cell)
