"""A table of jobs, one row per job keyed by its id, that keeps the cursor on the same job."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from server.jobs.schemas import Job

Cells = tuple[Text | str, ...]


class JobTable(DataTable[Text | str]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Detail")]
    # (key, label, width); width None sizes the column to its content. The prompt comes last,
    # so a narrow terminal cuts the prompt rather than the columns that matter.
    COLUMNS: ClassVar[tuple[tuple[str, str, int | None], ...]] = ()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", cursor_foreground_priority="renderable")
        self.jobs: dict[str, Job] = {}
        self._cells: dict[str, Cells] = {}

    def on_mount(self) -> None:
        for key, label, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def highlighted_job(self) -> Job | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return self.jobs.get(row_key.value or "")

    def show(self, rows: Sequence[tuple[Job, Cells]]) -> None:
        """Make the table exactly these rows; only changed cells are redrawn when the order holds."""
        keys = [str(job.id) for job, _ in rows]
        if keys == list(self.jobs):
            for job, cells in rows:
                self.put(job, cells)
            return
        selected = self.highlighted_job
        self.clear()
        self.jobs.clear()
        self._cells.clear()
        self.append(rows)
        if selected is not None and str(selected.id) in self.jobs:
            self.move_cursor(row=keys.index(str(selected.id)), animate=False)

    def append(self, rows: Iterable[tuple[Job, Cells]]) -> None:
        for job, cells in rows:
            key = str(job.id)
            if key in self.jobs:  # a job a later page repeats (it moved while paging)
                continue
            self.jobs[key] = job
            self._cells[key] = cells
            self.add_row(*cells, key=key)

    def put(self, job: Job, cells: Cells) -> None:
        """Update a row in place (if the job is listed)."""
        key = str(job.id)
        if key not in self.jobs:
            return
        self.jobs[key] = job
        for (column, _, _), old, new in zip(self.COLUMNS, self._cells[key], cells):
            if not _same(old, new):
                self.update_cell(key, column, new)
        self._cells[key] = cells

    def drop(self, job_id: str) -> None:
        if self.jobs.pop(job_id, None) is not None:
            del self._cells[job_id]
            self.remove_row(job_id)


def _same(old: Text | str, new: Text | str) -> bool:
    # Text equality ignores the base style, which is how a status shows its colour.
    return old == new and getattr(old, "style", None) == getattr(new, "style", None)
