"""Wire types of sweeps (POST/GET /api/sweeps) and their live event, `sweep.progress`."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any, Literal

import msgspec

from server.jobs.events import TaggedMessage
from server.jobs.schemas import Status, WorkflowName
from server.styles.schemas import StyleName

# A parameter's name, as in a workflow's manifest.
AxisName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
AxisValues = Annotated[list[Any], msgspec.Meta(min_length=1, max_length=100)]


class SweepCreate(msgspec.Struct, forbid_unknown_fields=True):
    """`params` hold what every cell shares; each axis gives one parameter's values, in order.
    The first axis runs down the grid's rows, the second across its columns, a third makes one
    grid per value. A cell's job is `params` with its axis values laid over them."""

    workflow: WorkflowName
    axes: Annotated[dict[AxisName, AxisValues], msgspec.Meta(min_length=1, max_length=3)]
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    style: StyleName | None = None


class SweepAxis(msgspec.Struct, kw_only=True):
    name: str
    values: list[Any]


class SweepCell(msgspec.Struct, kw_only=True):
    # Row-major over the axes, in their order: index = ((i0 * len1) + i1) * len2 + i2.
    index: int
    # The cell's axis values, by axis name.
    values: dict[str, Any]
    job_id: uuid.UUID
    status: Status
    progress: int
    # The cell's first image, for a thumbnail; null until the job finishes with one.
    output_url: str | None = None
    error: str | None = None


SweepState = Literal["running", "finished", "cancelled"]


class Sweep(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    workflow: str
    params: dict[str, Any]
    style: str | None
    axes: list[SweepAxis]
    # `running` until every cell has ended; `cancelled` once a cancel was asked for and all ended.
    state: SweepState
    cells: list[SweepCell]
    # How many cells are in each status, e.g. {"finished": 7, "failed": 1, "processing": 1}.
    counts: dict[str, int]
    # The contact sheet PNG (a signed link when keys are on); null until every cell has ended.
    contact_sheet_url: str | None
    owner: str | None
    created_at: datetime.datetime
    finished_at: datetime.datetime | None


class SweepSummary(msgspec.Struct, kw_only=True):
    """A sweep in GET /api/sweeps: no cells."""

    id: uuid.UUID
    workflow: str
    axes: list[SweepAxis]
    state: SweepState
    counts: dict[str, int]
    contact_sheet_url: str | None
    owner: str | None
    created_at: datetime.datetime


class SweepPage(msgspec.Struct, kw_only=True):
    items: list[SweepSummary]
    next_cursor: str | None
    limit: int


class SweepProgress(TaggedMessage, kw_only=True, tag="sweep.progress"):
    """A sweep's cell ended (or its contact sheet is ready): its counts now, on /ws/events."""

    sweep_id: uuid.UUID
    owner: str | None = None
    state: SweepState
    counts: dict[str, int]
    total: int
    # The cell whose job just ended, or null for the contact sheet's arrival.
    cell: SweepCell | None = None
    contact_sheet_url: str | None = None
    ts: datetime.datetime | None = None
