"""A sweep's cells as a table: axis values as row and column labels, each cell its state."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from client.sweep_view import Layout
from server.sweeps.schemas import Sweep, SweepCell
from tui.format import STATUS_STYLES

# Wide enough for "✗ cancelled"; an axis value's label may widen its column.
CELL_WIDTH = 11


def cell_text(cell: SweepCell) -> Text:
    shown = {
        "queued": "· queued",
        "processing": f"▶ {cell.progress}%",
        "finished": "■ finished",
        "failed": "✗ failed",
        "cancelled": "– cancelled",
    }[cell.status]
    return Text(shown, style=STATUS_STYLES[cell.status])


class SweepGrid(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open")]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="cell", cursor_foreground_priority="renderable")
        self.grid: Layout | None = None

    def show(self, sweep: Sweep) -> None:
        """Lay the grid out on the first sweep; from then on, redraw the cells that changed."""
        if self.grid is None:
            self.grid = Layout.of(sweep.axes)
            for c, label in enumerate(self.grid.columns):
                self.add_column(label, key=str(c), width=max(CELL_WIDTH, len(label)))
            for r, label in enumerate(self.grid.rows):
                self.add_row(*(cell_text(sweep.cells[i]) for i in self.grid.indexes[r]), key=str(r), label=label)
            return
        for r, indexes in enumerate(self.grid.indexes):
            for c, index in enumerate(indexes):
                shown = cell_text(sweep.cells[index])
                if self.get_cell(str(r), str(c)) != shown:
                    self.update_cell(str(r), str(c), shown)

    @property
    def cell_index(self) -> int | None:
        """The index of the cell under the cursor (SweepCell.index)."""
        if self.grid is None or not self.row_count:
            return None
        row, column = self.cursor_coordinate
        return self.grid.index(row, column)
