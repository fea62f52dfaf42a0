"""How `studio sweep` shows a sweep: its grid redrawn in place on a terminal, one line per change
otherwise. Both on stderr: stdout carries only the sweep's id and its contact sheet's URL."""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.live import Live
from rich.text import Text

from client.sweep_view import COUNTED, Layout, SweepView
from server.jobs.schemas import Status

SYMBOLS: dict[Status, str] = {"queued": ".", "processing": ">", "finished": "#", "failed": "x", "cancelled": "-"}
LEGEND = "  ".join(f"{symbol} {COUNTED[status]}" for status, symbol in SYMBOLS.items())


class Display(Protocol):
    def show(self, view: SweepView) -> None: ...

    def close(self) -> None: ...


def display_for(console: Console) -> Display:
    return Grid(console) if console.is_terminal else Lines(console)


def grid(view: SweepView) -> str:
    """The cells' states under their axis values, and the counts:

           seed=1  seed=2
    cfg=4    #       >
    cfg=6    .       .
    """
    layout = Layout.of(view.sweep.axes)
    cells = view.sweep.cells
    label = max(len(row) for row in layout.rows)
    widths = [max(len(column), 1) for column in layout.columns]
    header = " " * label + "".join(f"  {column:^{width}}" for column, width in zip(layout.columns, widths))
    lines = [header.rstrip()] if header.strip() else []  # one axis: no column labels
    for r, row in enumerate(layout.rows):
        marks = (SYMBOLS[cells[layout.index(r, c)].status] for c in range(len(widths)))
        lines.append((f"{row:<{label}}" + "".join(f"  {mark:^{width}}" for mark, width in zip(marks, widths))).rstrip())
    return "\n".join([*lines, view.summary()])


def line(view: SweepView) -> str:
    """The grid on one line, rows apart: `##>|...|...  2 finished · 1 running · 6 queued`."""
    layout = Layout.of(view.sweep.axes)
    rows = ("".join(SYMBOLS[view.sweep.cells[index].status] for index in indexes) for indexes in layout.indexes)
    return f"{'|'.join(rows)}  {view.summary()}"


class Grid:
    def __init__(self, console: Console) -> None:
        self._live = Live(console=console, auto_refresh=False)
        self._live.start()
        self._last = ""

    def show(self, view: SweepView) -> None:
        shown = grid(view)
        if shown != self._last:  # a job's progress changes nothing here
            self._live.update(Text(f"{shown}\n{LEGEND}", style="none"), refresh=True)
            self._last = shown

    def close(self) -> None:
        self._live.stop()


class Lines:
    def __init__(self, console: Console) -> None:
        self._console = console
        self._last = ""

    def show(self, view: SweepView) -> None:
        shown = line(view)
        if shown != self._last:  # a job's progress changes nothing here
            self._console.print(shown, highlight=False, markup=False, soft_wrap=True)
            self._last = shown

    def close(self) -> None:
        pass
