"""A sweep at a glance: its state and counts, the grid, the cell under the cursor, and the contact
sheet once it is made."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from client.http import StudioClient
from client.sweep_view import SweepView
from server.jobs.schemas import Output
from server.sweeps.schemas import Sweep
from tui.format import STATUS_STYLES, plain, status_text
from tui.widgets.detail.outputs import OutputCard
from tui.widgets.sweep.grid import SweepGrid

STATE_STYLES = {"running": STATUS_STYLES["processing"], "finished": STATUS_STYLES["finished"], "cancelled": STATUS_STYLES["cancelled"]}


class SweepBoard(VerticalScroll):
    def __init__(self, api: StudioClient, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.api = api
        self._sweep: Sweep | None = None
        # The contact sheet shown, by its path (a signed link changes with each reading of the sweep).
        self._sheet: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="sweep-headline")
        yield Static(id="sweep-counts")
        yield SweepGrid(id="cells")
        yield Static(id="cell-note")
        yield Static(id="sheet-title", classes="section")
        yield Vertical(id="sheet")

    def show(self, view: SweepView) -> None:
        self._sweep = sweep = view.sweep
        self.query_one("#sweep-headline", Static).update(
            Text.assemble(
                (sweep.state, f"bold {STATE_STYLES[sweep.state]}"),
                "  ",
                (sweep.workflow, "bold"),
                "  ",
                " × ".join(axis.name for axis in sweep.axes),
                "  ",
                (str(sweep.id), "dim"),
            )
        )
        self.query_one("#sweep-counts", Static).update(f"{view.summary()}  (of {len(sweep.cells)})")
        self.query_one(SweepGrid).show(sweep)
        self._note()
        url = sweep.contact_sheet_url
        self.query_one("#sheet-title", Static).update("Contact sheet" if url else "Contact sheet: when every cell has ended")
        if url is not None and (path := url.partition("?")[0]) != self._sheet:
            self._sheet = path
            sheet = self.query_one("#sheet", Vertical)
            sheet.remove_children()
            sheet.mount(OutputCard(sheet_output(url), self.api))

    def on_data_table_cell_highlighted(self, _: DataTable.CellHighlighted) -> None:
        self._note()

    def _note(self) -> None:
        """The cell under the cursor: its values, status and, if it failed, why."""
        index = self.query_one(SweepGrid).cell_index
        if self._sweep is None or index is None:
            return
        cell = self._sweep.cells[index]
        values = " ".join(f"{name}={value}" for name, value in cell.values.items())
        note = Text.assemble((values, "bold"), "  ", status_text(cell.status))
        if cell.error:
            note.append_text(Text.assemble("  ", plain(cell.error)))
        self.query_one("#cell-note", Static).update(note)


def sheet_output(url: str) -> Output:
    """The contact sheet as an output the job detail's card shows: its preview, name and URL."""
    path = url.partition("?")[0].removeprefix("/outputs/")
    return Output(path=path, url=url, filename=path.rpartition("/")[2])
