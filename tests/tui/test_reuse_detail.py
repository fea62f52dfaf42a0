"""The job detail says when a job took a finished job's outputs instead of running."""

from __future__ import annotations

import datetime
import uuid

from rich.console import Console

from tests.tui.jobs import T0, job
from tui.widgets.detail import facts


def rendered(table: object) -> str:
    console = Console(width=120, record=True)
    console.print(table)
    return " ".join(console.export_text().split())  # the grid's column padding aside


def test_a_reused_job_names_the_job_whose_outputs_it_took() -> None:
    source = uuid.UUID(int=7)
    now = T0 + datetime.timedelta(minutes=9)
    reused = job(9, "finished", progress=100, started_at=now, finished_at=now, reused_from=source)
    assert f"reused the outputs of {source}" in rendered(facts.timings(reused))
    assert "reused" not in rendered(facts.timings(job(7, "finished", started_at=now, finished_at=now)))
