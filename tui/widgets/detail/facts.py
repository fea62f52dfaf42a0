"""A job's parameters, timings and error as text blocks for the detail screen."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from server.comfy.errors import describe_node_errors
from server.comfy.messages import NodeError
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
    return table


def error(job: Job) -> RenderableType:
    """The error sentence, then what ComfyUI said, one line per problem."""
    lines = error_lines(job.error_details)
    sentence = Text(job.error or "", style="bold red")
    if not lines:
        return sentence
    return Group(sentence, *(Text(f"  {line}") for line in lines))


def error_lines(details: Any) -> list[str]:
    if not isinstance(details, dict):
        return []
    if details.get("node_errors"):
        try:
            node_errors = msgspec.convert(details["node_errors"], dict[str, NodeError])
        except msgspec.ValidationError:
            return [json.dumps(details["node_errors"], indent=2)]
        return [f"• {sentence}" for sentence in describe_node_errors(node_errors)]
    if details.get("type") == "execution_error":
        where = f"Node {details.get('node_id')} ({details.get('node_type')})" if details.get("node_id") else "The prompt"
        lines = [f"• {where} raised {details.get('exception_type')}: {str(details.get('exception_message', '')).strip()}"]
        traceback = [line.rstrip() for chunk in details.get("traceback") or [] for line in str(chunk).splitlines()]
        return lines + [f"  {line}" for line in traceback[-TRACEBACK_LINES:]]
    return []


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
