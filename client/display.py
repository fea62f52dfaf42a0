"""How `studio watch` shows a job: a live bar on a terminal, one line per change otherwise.

Both write to stderr, so stdout carries only the job id and the output URLs (for scripts).
"""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn

from client.view import JobView


class Display(Protocol):
    def show(self, view: JobView) -> None: ...

    def close(self) -> None: ...


def display_for(console: Console) -> Display:
    return Bar(console) if console.is_terminal else Lines(console)


class Bar:
    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self._task: TaskID = self._progress.add_task("queued", total=100, detail="")
        self._progress.start()

    def show(self, view: JobView) -> None:
        self._progress.update(self._task, description=view.status, completed=view.percent, detail=view.detail)

    def close(self) -> None:
        self._progress.stop()


class Lines:
    def __init__(self, console: Console) -> None:
        self._console = console
        self._last = ""

    def show(self, view: JobView) -> None:
        line = f"{view.status} {view.percent}%" + (f" {view.detail}" if view.detail else "")
        if line != self._last:  # a snapshot after a reconnect repeats what was shown
            self._console.print(line, highlight=False)
            self._last = line

    def close(self) -> None:
        pass
