"""The Stats screen's figures, drawn from one Stats value: the window's outcomes and times, the
queue now, the ComfyUI lanes, and the outcomes by workflow."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from server.stats.schemas import LaneState, Stats, WorkflowCounts
from tui.format import STATUS_STYLES, plain, span

COUNT_WIDTH = 9
LANE_STATES = {True: ("● up  ", STATUS_STYLES["finished"]), False: ("○ down", STATUS_STYLES["failed"])}


def outcomes(stats: Stats) -> Text:
    return Text(" · ").join(
        Text(f"{count:,} {status}", style=STATUS_STYLES[status])
        for status, count in (("finished", stats.finished), ("failed", stats.failed), ("cancelled", stats.cancelled))
    )


def times(stats: Stats) -> Table:
    """Wait (submit to start) and run (start to end) percentiles, one row each."""
    table = Table(box=None, padding=(0, 0, 0, 2), pad_edge=False, header_style="bold")
    table.add_column("")
    for name in ("p50", "p90", "p99"):
        table.add_column(name, justify="right", min_width=7)
    for name, figures in (("Wait", stats.wait), ("Run", stats.run)):
        table.add_row(name, span(figures.p50), span(figures.p90), span(figures.p99))
    return table


def lanes(states: list[LaneState]) -> Text:
    if not states:
        return Text("none", style="dim")
    lines = []
    for lane in states:
        mark, colour = LANE_STATES[lane.up]
        lines.append(Text.assemble((mark, f"bold {colour}"), "  ", lane.url))
    return Text("\n").join(lines)


class WorkflowTable(DataTable[Text]):
    """The window's outcomes by workflow, the busiest first."""

    def on_mount(self) -> None:
        self.cursor_type = "none"
        self.add_column("Workflow", key="workflow")
        for status in ("finished", "failed", "cancelled"):
            self.add_column(Text(status.capitalize(), justify="right"), key=status, width=COUNT_WIDTH)

    def show(self, workflows: list[WorkflowCounts]) -> None:
        self.clear()
        busiest = sorted(workflows, key=lambda w: (-(w.finished + w.failed + w.cancelled), w.workflow))
        for counts in busiest:
            self.add_row(
                plain(counts.workflow),
                *(Text(f"{n:,}", justify="right") for n in (counts.finished, counts.failed, counts.cancelled)),
                key=counts.workflow,
            )


class StatsView(Vertical):
    def compose(self) -> ComposeResult:
        with Horizontal(id="stats-top"):
            with Vertical(id="window"):
                yield Static(classes="section", id="window-title")
                yield Static(id="throughput")
                yield Static(id="outcomes")
                yield Static(id="times")
            with Vertical(id="now"):
                yield Static("Now", classes="section")
                yield Static(id="queue-now")
                yield Static("ComfyUI", classes="section", id="lanes-title")
                yield Static(id="lanes")
        yield Static("By workflow", classes="section", id="workflows-title")
        yield WorkflowTable(id="workflows")

    def show(self, stats: Stats) -> None:
        self.query_one("#window-title", Static).update(f"Last {round(stats.window_seconds / 60)} minutes")
        self.query_one("#throughput", Static).update(f"{stats.finished_per_minute:.1f} finished a minute")
        self.query_one("#outcomes", Static).update(outcomes(stats))
        self.query_one("#times", Static).update(times(stats))
        self.query_one("#queue-now", Static).update(f"Running {stats.processing} · queued {stats.queued}")
        self.query_one("#lanes", Static).update(lanes(stats.lanes))
        self.query_one(WorkflowTable).show(stats.workflows)
