"""The Sweep screen: a sweep made from the new-job form fills in live against a real Studio, shows
its contact sheet, remixes a cell and cancels; drawn at 80x24 from a fixed Sweep value."""

from __future__ import annotations

import datetime
import uuid

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Footer, Input, TextArea

from client.http import StudioClient
from client.sweep_view import SweepView
from server.sweeps.schemas import Sweep, SweepAxis, SweepCell
from tests.comfyui_double.double import ComfyDouble
from tests.common.paths import REPO
from tests.integration.worker.stack import Stack
from tests.tui.notices import Notices
from tests.tui.studio_data import until
from tests.tui.test_reuse_detail import rendered
from tests.tui.test_flows import _fields, _open_form
from tui.app import StudioApp
from tui.screens.axes import AxesScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.detail import JobDetailScreen
from tui.screens.history import HistoryScreen
from tui.screens.job_form import JobFormScreen
from tui.screens.sweep import SweepScreen
from tui.widgets.detail import facts
from tui.widgets.detail.outputs import PreviewImage
from tui.widgets.history.table import HistoryTable
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


def _grid(screen: SweepScreen) -> list[list[str]]:
    grid = screen.query_one(SweepGrid)
    return [[str(cell) for cell in grid.get_row_at(row)] for row in range(grid.row_count)]


async def test_a_sweep_from_the_form_fills_in_shows_its_contact_sheet_and_remixes_a_cell(single_stack: Stack) -> None:
    app = StudioApp(single_stack.url)
    notices = Notices()
    async with app.run_test(size=(100, 40), message_hook=notices) as pilot:
        await until(pilot, lambda: app.connection == "connected", what="the live feed")
        fields = await _open_form(pilot, app, "n", "text_to_image")
        fields["prompt"].query_one(TextArea).focus()
        await pilot.press(*"a red fox")

        # The dialog says what is wrong, and stays.
        await pilot.press("ctrl+g")
        dialog = await until(pilot, lambda: app.screen if isinstance(app.screen, AxesScreen) else None, what="the sweep dialog")
        axes = dialog.query_one("#axes", TextArea)
        axes.text = "cgf=4,6,8"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "text_to_image has no parameter 'cgf'." in str(dialog.query_one("#axes-error").render()))
        axes.text = "cfg=4,6,8\nseed=1,2,3"
        await pilot.press("ctrl+s")

        screen = await until(pilot, lambda: app.screen if isinstance(app.screen, SweepScreen) else None, what="the sweep")
        sweep = screen.view.sweep
        assert (sweep.workflow, sweep.params["prompt"], [axis.name for axis in sweep.axes]) == ("text_to_image", "a red fox", ["cfg", "seed"])
        grid = screen.query_one(SweepGrid)
        assert [column.label.plain for column in grid.ordered_columns] == ["seed=1", "seed=2", "seed=3"]
        assert [str(row.label) for row in grid.ordered_rows] == ["cfg=4", "cfg=6", "cfg=8"]
        await until(pilot, lambda: _grid(screen) == [["■ finished"] * 3] * 3, timeout=60, what="every cell to finish")
        await until(pilot, lambda: screen.query(PreviewImage), what="the contact sheet's preview")
        assert screen.view.sweep.state == "finished"
        assert "contact-sheet.png" in str(screen.query_one(".output-facts").render())
        assert not screen.check_action("cancel", ()), "nothing left to cancel"

        # r on the cell cfg=6, seed=3: the remix form holds its values.
        grid.move_cursor(row=1, column=2)
        await pilot.pause()
        cell = screen.view.sweep.cells[5]
        assert cell.values == {"cfg": 6, "seed": 3}
        assert str(screen.query_one("#cell-note").render()).startswith("cfg=6 seed=3  finished")
        await pilot.press("r")
        form = await until(pilot, lambda: app.screen if isinstance(app.screen, JobFormScreen) and _fields(app) else None, what="the remix")
        assert form.remix_of is not None and form.remix_of.id == cell.job_id
        fields = _fields(app)
        assert fields["cfg"].entered()[0] == "6" and fields["seed"].query_one(Input).value == "3"
        assert fields["prompt"].query_one(TextArea).text == "a red fox"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="back to the sweep")

        # enter opens the cell's job; w there opens its sweep.
        await pilot.press("enter")
        detail = await until(pilot, lambda: app.screen if isinstance(app.screen, JobDetailScreen) else None, what="the cell's job")
        assert detail.job.id == cell.job_id and detail.job.sweep_id == sweep.id
        assert f"sweep {sweep.id} (cell 5; w opens it)" in rendered(facts.timings(detail.job))
        await pilot.press("w")
        again = await until(pilot, lambda: app.screen if isinstance(app.screen, SweepScreen) else None, what="its sweep")
        assert again.view.sweep.id == sweep.id and _grid(again) == [["■ finished"] * 3] * 3
        assert not [n for n in notices.posted if n.severity == "error"]


async def test_c_cancels_the_sweep_opened_from_a_job_in_history(single_stack: Stack, double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.5  # 10 s a job: the sweep is far from done when cancelled
    async with StudioClient(single_stack.url) as api:
        made = await api.create_sweep("text_to_image", {"seed": [1, 2, 3]}, {"prompt": "a fox"})
        listed = await api.sweeps(limit=5)
        assert [(item.id, item.state) for item in listed.items] == [(made.id, "running")]
    app = StudioApp(single_stack.url)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: app.connection == "connected", what="the live feed")
        await pilot.press("2")
        history = await until(pilot, lambda: app.screen if isinstance(app.screen, HistoryScreen) else None, what="the history")
        await until(pilot, lambda: history.query_one(HistoryTable).row_count == 3, what="the sweep's jobs")
        await pilot.press("w")
        screen = await until(pilot, lambda: app.screen if isinstance(app.screen, SweepScreen) else None, what="the sweep")
        assert screen.view.sweep.id == made.id

        await pilot.press("c")
        confirm = await until(pilot, lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None, what="the question")
        assert confirm.question.startswith("Cancel this sweep's ")
        await pilot.press("y")
        await until(pilot, lambda: _grid(screen) == [["– cancelled"]] * 3, timeout=30, what="every cell cancelled")
        await until(pilot, lambda: screen.view.sweep.state == "cancelled", what="the sweep's state")
        assert not screen.check_action("cancel", ())


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
