"""A job's parameters, timings and error as text blocks for the detail screen."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from server.jobs.failures import ExecutionError, Rejection
from server.jobs.schemas import Job
from tui.format import duration, when_exact

# Parameters stored in columns of their own: shown even when the job left them to the workflow.
RESOLVED = ("model", "aspect_ratio", "batch_size", "seed", "steps", "cfg", "sampler", "scheduler", "denoise")
# Shown in full above the table.
PROMPTS = ("prompt", "negative_prompt")
# Lines of a node's traceback worth showing: its end says what went wrong.
TRACEBACK_LINES = 8


def _grid() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def parameters(job: Job) -> Table:
    """Every parameter as submitted, then what the workflow filled in by default (dimmed)."""
    table = _grid()
    table.add_row("workflow", Text(job.workflow))
    for name, value in job.params.items():
        if name in PROMPTS:
            continue
        if name == "seed" and value == -1:
            table.add_row(name, Text(f"{job.seed} (random)"))
        else:
            table.add_row(name, Text(_value(value)))
    for name in RESOLVED:
        value = getattr(job, name)
        if name not in job.params and value is not None:
            table.add_row(Text(name, style="dim"), Text(f"{_value(value)} (default)", style="dim"))
    if job.width and job.height:
        table.add_row("size", Text(f"{job.width}×{job.height}"))
    return table


def texts(job: Job) -> Table:
    """Text the workflow's nodes showed (a caption, extracted numbers), by node."""
    table = _grid()
    for shown in job.texts:
        table.add_row(f"node {shown.node_id}", Text(shown.text))
    return table


def timings(job: Job) -> Table:
    table = _grid()
    table.add_row("created", when_exact(job.created_at))
    if job.started_at:
        waited = duration((job.started_at - job.created_at).total_seconds())
        table.add_row("started", f"{when_exact(job.started_at)}  (waited {waited})")
    if job.finished_at:
        ran = duration((job.finished_at - (job.started_at or job.created_at)).total_seconds())
        table.add_row("ended", f"{when_exact(job.finished_at)}  (took {ran})")
    if job.lane:
        table.add_row("ran on", Text(job.lane))
    if job.attempts > 1:
        table.add_row("attempts", str(job.attempts))
    if job.remix_of:
        table.add_row("remix of", str(job.remix_of))
    if job.reused_from:
        # Never ran: its inputs were a finished job's, whose outputs it took.
        table.add_row("reused", f"the outputs of {job.reused_from}")
    if job.sweep_id:
        # The footer has no room for its key beside cancel's: said here.
        table.add_row("sweep", f"{job.sweep_id}  (cell {job.sweep_index}; w opens it)")
    return table


def error(job: Job) -> RenderableType:
    """The error sentence, then what ComfyUI said: one line per rejected input, or the exception."""
    sentence = job.error or ""
    failure = job.error_details
    if isinstance(failure, Rejection) and (problems := failure.problems()):
        if all(problem in sentence for problem in problems):
            # The sentence only strings the problems together: keep its lead-in, list them below.
            sentence = sentence[: sentence.index(problems[0])].rstrip(" :;") + ":"
        return Group(Text(sentence, style="bold red"), *(Text(f"• {problem}") for problem in problems))
    if isinstance(failure, ExecutionError):
        return Group(Text(sentence, style="bold red"), *exception_lines(failure))
    return Text(sentence, style="bold red")


def exception_lines(failure: ExecutionError) -> list[Text]:
    traceback = [line.rstrip() for chunk in failure.traceback for line in chunk.splitlines()]
    lines = [Text(f"{failure.exception_type}: {failure.exception_message.strip()}")]
    if traceback:
        lines.append(Text("where (the end of the traceback):", style="dim"))
        lines += [Text(line, style="dim") for line in traceback[-TRACEBACK_LINES:]]
    return lines


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
