"""What a watcher knows about one sweep: its grid of cells, kept up to date from `sweep.progress`
and its jobs' own events (which say a cell runs, and how far, before the sweep's event says it ended)."""

from __future__ import annotations

from itertools import product

import msgspec

from server.events.schemas import JobCancelled, JobFailed, JobFinished, JobProgress, JobStatus
from server.jobs.schemas import TERMINAL_STATUSES, Status
from server.sweeps.schemas import Sweep, SweepAxis, SweepCell, SweepProgress

# How the statuses read in counts, in the order they are listed.
COUNTED: dict[Status, str] = {
    "finished": "finished",
    "failed": "failed",
    "processing": "running",
    "queued": "queued",
    "cancelled": "cancelled",
}


class SweepView:
    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self._cells = {cell.job_id: cell.index for cell in sweep.cells}

    @property
    def ended(self) -> bool:
        """Every cell has ended: the contact sheet comes (or came) with the sweep's last event."""
        return self.sweep.state != "running"

    def counts(self) -> dict[Status, int]:
        """How many cells are in each status, as this view has them (the sweep's own `counts` may be older)."""
        found: dict[Status, int] = {}
        for cell in self.sweep.cells:
            found[cell.status] = found.get(cell.status, 0) + 1
        return {status: found[status] for status in COUNTED if status in found}

    def summary(self) -> str:
        """"7 finished · 1 failed · 1 running"."""
        return " · ".join(f"{count} {COUNTED[status]}" for status, count in self.counts().items())

    def apply(self, message: object) -> bool:
        """Take in one live message; whether it was about this sweep."""
        if isinstance(message, SweepProgress):
            if message.sweep_id != self.sweep.id:
                return False
            sheet = message.contact_sheet_url or self.sweep.contact_sheet_url
            self.sweep = msgspec.structs.replace(self.sweep, state=message.state, counts=message.counts, contact_sheet_url=sheet)
            if message.cell is not None:
                self._set(message.cell.index, message.cell)
            return True
        index = self._cells.get(getattr(message, "job_id", None))  # type: ignore[arg-type]
        if index is None:
            return False
        cell = self.sweep.cells[index]
        match message:
            case JobStatus(status=status, progress=progress):
                changed = msgspec.structs.replace(cell, status=status, progress=progress)
            case JobProgress(percent=percent):
                changed = msgspec.structs.replace(cell, status="processing", progress=percent)
            case JobFinished(job=job):
                url = next((output.url for output in job.outputs if output.content_type.startswith("image/")), None)
                changed = msgspec.structs.replace(cell, status="finished", progress=100, output_url=url)
            case JobFailed(error=error):
                changed = msgspec.structs.replace(cell, status="failed", error=error)
            case JobCancelled():
                changed = msgspec.structs.replace(cell, status="cancelled")
            case _:
                return False
        self._set(index, changed)
        return True

    def _set(self, index: int, cell: SweepCell) -> None:
        cells = list(self.sweep.cells)
        # An ended cell never runs again: a late job event must not revive it.
        if cells[index].status in TERMINAL_STATUSES and cell.status not in TERMINAL_STATUSES:
            return
        cells[index] = cell
        self.sweep = msgspec.structs.replace(self.sweep, cells=cells)


class Layout(msgspec.Struct, frozen=True):
    """A sweep's cells as a table: the first axis (and a third, when there is one) down the rows,
    the second across the columns; a single axis is one column."""

    rows: list[str]
    columns: list[str]
    # The cell's index (row-major over the axes, as SweepCell.index) of each row's cells.
    indexes: list[list[int]]

    def index(self, row: int, column: int) -> int:
        return self.indexes[row][column]

    @classmethod
    def of(cls, axes: list[SweepAxis]) -> Layout:
        first, *rest = axes
        across = rest[0] if rest else None
        third = rest[1] if len(rest) > 1 else None
        width, depth = len(across.values) if across else 1, len(third.values) if third else 1
        down = [(i0, i2) for i0, i2 in product(range(len(first.values)), range(depth))]
        rows = [" ".join(_label(axis, i) for axis, i in ((first, i0), (third, i2)) if axis is not None) for i0, i2 in down]
        columns = [_label(across, i) for i in range(width)] if across else [""]
        indexes = [[(i0 * width + i1) * depth + i2 for i1 in range(width)] for i0, i2 in down]
        return cls(rows=rows, columns=columns, indexes=indexes)


def _label(axis: SweepAxis, i: int) -> str:
    value = axis.values[i]
    return f"{axis.name}={value if isinstance(value, str) else msgspec.json.encode(value).decode()}"
