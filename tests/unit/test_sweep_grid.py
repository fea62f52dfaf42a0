"""The clients' side of sweeps: axes as typed on the command line and in the TUI's dialog, the grid
a sweep's cells are laid out in, and the live view of a sweep's cells."""

from __future__ import annotations

import datetime
import uuid
from itertools import product

import msgspec
import pytest

from client.axes import parse_axes
from client.errors import ClientError
from client.sweep_view import Layout, SweepView
from server.events.schemas import JobProgress, JobStatus
from server.sweeps.schemas import Sweep, SweepAxis, SweepCell, SweepProgress


def test_axes_are_typed_as_submit_types_values() -> None:
    assert parse_axes(["cfg=4,6.5,8", "sampler = euler, dpmpp_2m", "hires=true,false"]) == {
        "cfg": [4, 6.5, 8], "sampler": ["euler", "dpmpp_2m"], "hires": [True, False],
    }
    assert parse_axes(['prompt=["a fox, red", "a wolf"]']) == {"prompt": ["a fox, red", "a wolf"]}


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        (["cfg"], "'cfg' is not NAME=V1,V2,..."),
        (["cfg="], "'cfg=' is not NAME=V1,V2,..."),
        (["cfg=4", "cfg=6"], "The axis 'cfg' is given twice"),
        ([], "Give at least one axis"),
        (["a=1", "b=2", "c=3", "d=4"], "A sweep has at most 3 axes; 4 were given."),
    ],
)
def test_mistaken_axes_are_one_sentence(lines: list[str], says: str) -> None:
    with pytest.raises(ClientError, match=says.replace(".", r"\.")) as refused:
        parse_axes(lines)
    assert refused.value.usage


def _axes(*sizes: int) -> list[SweepAxis]:
    return [SweepAxis(name=name, values=list(range(size))) for name, size in zip("abc", sizes)]


@pytest.mark.parametrize("sizes", [(3,), (3, 2), (2, 3, 2)])
def test_the_grid_holds_every_cell_once_at_its_row_major_index(sizes: tuple[int, ...]) -> None:
    layout = Layout.of(_axes(*sizes))
    # Row-major over the axes, as SweepCell.index: the cell of positions p is at this index.
    index = {positions: i for i, positions in enumerate(product(*(range(size) for size in sizes)))}
    seen = {}
    for r, row in enumerate(layout.rows):
        for c, column in enumerate(layout.columns):
            seen[layout.index(r, c)] = (row, column)
    assert sorted(seen) == list(range(len(index)))
    for positions, i in index.items():
        row, column = seen[i]
        assert row.split() == [f"a={positions[0]}", *([f"c={positions[2]}"] if len(sizes) > 2 else [])]
        assert column == (f"b={positions[1]}" if len(sizes) > 1 else "")


def _sweep() -> Sweep:
    cells = [SweepCell(index=i, values={"a": i}, job_id=uuid.UUID(int=i + 1), status="queued", progress=0) for i in range(2)]
    return Sweep(
        id=uuid.UUID(int=99), workflow="w", params={}, style=None, axes=_axes(2), state="running", cells=cells,
        counts={"queued": 2}, contact_sheet_url=None, owner=None, created_at=datetime.datetime(2026, 1, 1), finished_at=None,
    )


def test_the_view_follows_job_events_and_an_ended_cell_stays_ended() -> None:
    view = SweepView(_sweep())
    assert view.apply(JobProgress(job_id=uuid.UUID(int=1), workflow="w", percent=40))
    assert (view.sweep.cells[0].status, view.sweep.cells[0].progress) == ("processing", 40)
    ended = SweepCell(index=0, values={"a": 0}, job_id=uuid.UUID(int=1), status="failed", progress=40, error="boom")
    progress = SweepProgress(sweep_id=uuid.UUID(int=99), state="running", counts={"failed": 1, "queued": 1}, total=2, cell=ended)
    assert view.apply(progress)
    assert not view.apply(JobStatus(job_id=uuid.UUID(int=3), workflow="w", status="processing"))  # not a cell of this sweep
    view.apply(JobStatus(job_id=uuid.UUID(int=1), workflow="w", status="processing"))  # late: the cell stays failed
    assert view.sweep.cells[0].status == "failed" and view.summary() == "1 failed · 1 queued"
    assert not view.apply(msgspec.structs.replace(progress, sweep_id=uuid.UUID(int=98)))
    assert not view.ended
    view.apply(SweepProgress(sweep_id=uuid.UUID(int=99), state="finished", counts={}, total=2, contact_sheet_url="/outputs/s.png"))
    assert view.ended and view.sweep.contact_sheet_url == "/outputs/s.png"
