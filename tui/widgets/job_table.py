"""A table of jobs, one row per job keyed by its id, that keeps the cursor on the same job.

An admin of a Studio with keys also sees whose each job is: the owner column, before the prompt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from server.jobs.schemas import Job
from tui.format import plain

Cells = tuple[Text | str, ...]
Column = tuple[str, str, int | None]
OWNER: Column = ("owner", "Owner", 12)


class JobTable(DataTable[Text | str]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Detail")]
    # (key, label, width); width None sizes the column to its content. The prompt comes last,
    # so a narrow terminal cuts the prompt rather than the columns that matter.
    COLUMNS: ClassVar[tuple[Column, ...]] = ()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", cursor_foreground_priority="renderable")
        self.jobs: dict[str, Job] = {}
        # Each row's cells as the subclass made them (without the owner's).
        self._cells: dict[str, Cells] = {}
        self.owner_column = False

    def on_mount(self) -> None:
        self._add_columns()
        self.watch(self.app, "owners", lambda owners: self.show_owners(owners is not None))

    @property
    def columns_shown(self) -> tuple[Column, ...]:
        return (*self.COLUMNS[:-1], OWNER, self.COLUMNS[-1]) if self.owner_column else self.COLUMNS

    def show_owners(self, shown: bool) -> None:
        """Add or remove the owner column: the rows are drawn again, the cursor stays on its job."""
        if shown == self.owner_column:
            return
        self.owner_column = shown
        selected = self.highlighted_job
        rows = [(job, self._cells[key]) for key, job in self.jobs.items()]
        self.clear(columns=True)
        self.jobs.clear()
        self._cells.clear()
        self._add_columns()
        self.append(rows)
        if selected is not None:
            self.move_cursor(row=self.get_row_index(str(selected.id)), animate=False)

    def _add_columns(self) -> None:
        for key, label, width in self.columns_shown:
            self.add_column(label, key=key, width=width)

    def _shown(self, job: Job, cells: Cells) -> Cells:
        return (*cells[:-1], plain(job.owner or ""), cells[-1]) if self.owner_column else cells

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
            self.add_row(*self._shown(job, cells), key=key)

    def put(self, job: Job, cells: Cells) -> None:
        """Update a row in place (if the job is listed)."""
        key = str(job.id)
        if key not in self.jobs:
            return
        shown = zip(self.columns_shown, self._shown(self.jobs[key], self._cells[key]), self._shown(job, cells))
        self.jobs[key] = job
        for (column, _, _), old, new in shown:
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
