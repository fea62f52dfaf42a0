"""One sweep: its grid of cells filling in live, the contact sheet when every cell has ended;
open, remix or cancel from here."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer

from client.errors import ClientError
from client.sweep_view import SweepView
from server.events.schemas import Message, QueueSnapshot
from server.jobs.schemas import Job
from server.sweeps.schemas import Sweep, SweepCell
from tui.screens.base import StudioScreen
from tui.screens.confirm import ConfirmScreen
from tui.widgets.sweep.board import SweepBoard
from tui.widgets.sweep.grid import SweepGrid
from tui.widgets.top_bar import TopBar


class SweepScreen(StudioScreen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("o", "open", "Open", show=False),
        Binding("r", "remix", "Remix"),
        Binding("c", "cancel", "Cancel sweep"),
    ]
    AUTO_FOCUS = "#cells"

    def __init__(self, sweep: Sweep) -> None:
        super().__init__()
        self.view = SweepView(sweep)

    def compose(self) -> ComposeResult:
        yield TopBar("Sweep")
        yield SweepBoard(self.studio.api, id="sweep")
        yield Footer()

    def on_mount(self) -> None:
        self.studio.live_events.subscribe(self, self._on_live)
        self._show()
        if not self.view.ended:
            self.reload()  # what happened before we subscribed is in the stored sweep

    def _show(self) -> None:
        self.query_one(SweepBoard).show(self.view)
        self.refresh_bindings()  # cancel goes once the sweep has ended

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "cancel" or not self.view.ended

    def _on_live(self, message: Message) -> None:
        if isinstance(message, QueueSnapshot):
            self.reload()  # reconnected: what happened meanwhile is in the stored sweep
        elif self.view.apply(message):
            self._show()

    @work(exclusive=True, group="reload")
    async def reload(self) -> None:
        try:
            self.view = SweepView(await self.studio.api.sweep(self.view.sweep.id))
        except ClientError as exc:
            self.notify(str(exc), title="Could not reload the sweep", severity="error")
            return
        self._show()

    # --- keys --------------------------------------------------------------------------------

    @property
    def cell(self) -> SweepCell | None:
        index = self.query_one(SweepGrid).cell_index
        return None if index is None else self.view.sweep.cells[index]

    @on(DataTable.CellSelected)
    def action_open(self) -> None:
        self._with_job(self.studio.open_job)

    def action_remix(self) -> None:
        self._with_job(self.studio.remix)

    @work(group="cell")
    async def _with_job(self, then: Callable[[Job], object]) -> None:
        """The cell's job, as stored now, to open or remix."""
        if (cell := self.cell) is None:
            return
        try:
            job = await self.studio.api.job(cell.job_id)
        except ClientError as exc:
            self.notify(str(exc), title="Could not load the cell's job", severity="error")
            return
        then(job)

    @work(group="cancel")
    async def action_cancel(self) -> None:
        unfinished = sum(self.view.counts().get(status, 0) for status in ("queued", "processing"))
        question = f"Cancel this sweep's {unfinished} unfinished job{'s' if unfinished != 1 else ''}?\n\nIts finished cells stay."
        if not await self.app.push_screen_wait(ConfirmScreen(question, action="Cancel sweep")):
            return
        try:
            self.view = SweepView(await self.studio.api.cancel_sweep(self.view.sweep.id))
        except ClientError as exc:
            self.notify(str(exc), title="Could not cancel the sweep", severity="error")
            return
        self._show()
        self.notify("Its unfinished jobs are cancelled.", title="Cancel sweep")
