"""Sweep use cases: make one job per combination of axis values, show the grid, cancel it."""

from __future__ import annotations

import functools
import itertools
import math
import secrets
import uuid
from collections import Counter
from typing import Any

import msgspec

from server.access.links import LinkSigner
from server.access.schemas import Caller
from server.config import Settings
from server.errors import BadRequest, Conflict, FieldError, NotFound, clip, echo
from server.jobs.cursor import Cursor, decode_cursor, encode_cursor
from server.jobs.schemas import TERMINAL_STATUSES, JobCreate, Output
from server.jobs.service import JobService
from server.sweeps import repository
from server.sweeps.repository import StoredCell, StoredSweep
from server.sweeps.schemas import Sweep, SweepAxis, SweepCell, SweepCreate, SweepPage, SweepState, SweepSummary
from server.workflows.manifest import RANDOM_SEED_MAX, SeedParam, Workflow
from server.workflows.params import draws_seed, with_seed

# Where a sweep's contact sheet is stored, under the outputs folder (served as /outputs/<path>).
SHEET_NAME = "contact-sheet.png"
SHEETS_FOLDER = "sweeps"


def sheet_folder(sweep_id: uuid.UUID) -> str:
    return f"{SHEETS_FOLDER}/{sweep_id}"


def sheet_path(sweep_id: uuid.UUID) -> str:
    return f"{sheet_folder(sweep_id)}/{SHEET_NAME}"


class SweepService:
    def __init__(self, settings: Settings, jobs: JobService, links: LinkSigner) -> None:
        self.settings = settings  # the cap on a sweep's cells
        self.jobs = jobs  # checks, stores and cancels the cells' jobs as any job's
        self.links = links

    async def create(self, request: SweepCreate, caller: Caller) -> Sweep:
        """One job of `caller`'s per combination of the axes' values, each checked as any submit
        is; all of them stored and queued, or - for any refusal - none."""
        workflow = self.jobs.workflows.get(request.workflow)
        axes = [SweepAxis(name=name, values=values) for name, values in request.axes.items()]
        self._check_axes(workflow, axes)
        params = _shared_seed(workflow, request, axes)
        sweep_id = uuid.uuid4()
        rows: list[dict[str, Any]] = []
        refusals: dict[str, str] = {}  # field -> message, the first cell's that has it
        for index, positions in enumerate(itertools.product(*(range(len(axis.values)) for axis in axes))):
            cell = {axis.name: axis.values[i] for axis, i in zip(axes, positions)}
            try:
                row = await self.jobs.row(JobCreate(workflow=workflow.name, params={**params, **cell}, style=request.style), caller)
            except BadRequest as refusal:
                for error in refusal.errors:
                    refusals.setdefault(_axis_field(error.field, axes, positions), error.message)
                continue
            rows.append({**row, "sweep_id": sweep_id, "sweep_index": index})
        if refusals:
            raise BadRequest.from_fields([FieldError(field, message) for field, message in refusals.items()])
        stored = {
            "id": sweep_id, "owner": caller.name, "workflow": workflow.name, "params": params, "style": request.style,
            "axes": msgspec.to_builtins(axes), "total": len(rows),
        }
        await self.jobs.create_group(rows, caller, functools.partial(repository.insert, stored))
        return await self.get(sweep_id, caller)

    def _check_axes(self, workflow: Workflow, axes: list[SweepAxis]) -> None:
        """Each axis a parameter of the workflow, its values each given once; at most
        STUDIO_SWEEP_MAX_CELLS combinations."""
        names = list(workflow.manifest.params)
        errors = []
        for axis in axes:
            if axis.name not in workflow.manifest.params:
                listed = ", ".join(names) or "none"
                errors.append(FieldError(f"axes.{clip(axis.name)}", f"is not a parameter of the workflow {workflow.name}; its parameters: {listed}"))
            elif repeated := _repeated(axis.values):
                errors.append(FieldError(f"axes.{axis.name}", f"lists {echo(repeated[0])} more than once; give each value once"))
        if errors:
            raise BadRequest.from_fields(errors)
        cells = math.prod(len(axis.values) for axis in axes)
        cap = self.settings.sweep_max_cells
        if cells > cap:
            sizes = " x ".join(str(len(axis.values)) for axis in axes)
            message = f"would make {cells} jobs ({sizes}); a sweep may make at most {cap} (STUDIO_SWEEP_MAX_CELLS)"
            raise BadRequest(f"The axes {message}: give fewer values.", [FieldError("axes", message)])

    async def get(self, sweep_id: uuid.UUID, caller: Caller) -> Sweep:
        """The sweep and its grid, if `caller` may see it (someone else's: 404, as for none)."""
        stored = await repository.get(sweep_id, owner=caller.scope)
        if stored is None:
            raise NotFound(f"No sweep with id {sweep_id}.", [FieldError("id", "no such sweep")])
        return self.present(stored, await repository.cells(sweep_id))

    async def list(self, caller: Caller, *, limit: int, cursor: str | None = None, owner: str | None = None) -> SweepPage:
        """Newest first: a user key's own sweeps; an admin's, of `owner` if asked, else everyone's."""
        position = decode_cursor(cursor) if cursor else None
        sweeps, more = await repository.page(owner=caller.scope or owner, limit=limit, cursor=position)
        counts = await repository.counts([sweep.id for sweep in sweeps])
        items = [
            SweepSummary(
                id=sweep.id, workflow=sweep.workflow, axes=sweep.axes, state=_state(sweep, counts[sweep.id]),
                counts=counts[sweep.id], contact_sheet_url=self.sheet_url(sweep), owner=sweep.owner, created_at=sweep.created_at,
            )
            for sweep in sweeps
        ]
        next_cursor = encode_cursor(Cursor(sweeps[-1].created_at, sweeps[-1].id)) if more and sweeps else None
        return SweepPage(items=items, next_cursor=next_cursor, limit=limit)

    async def cancel(self, sweep_id: uuid.UUID, caller: Caller) -> Sweep:
        """Cancel every cell that has not ended (a queued one at once, a running one is stopped
        by its worker); cells that ended stay as they are."""
        sweep = await self.get(sweep_id, caller)
        unfinished = [cell for cell in sweep.cells if cell.status not in TERMINAL_STATUSES]
        if not unfinished:
            raise Conflict(f"Sweep {sweep_id} has ended; there is nothing to cancel.")
        await repository.request_cancel(sweep_id)
        for cell in unfinished:
            try:
                await self.jobs.cancel(cell.job_id, caller)
            except (Conflict, NotFound):  # it ended (or went) meanwhile
                pass
        return await self.get(sweep_id, caller)

    def present(self, sweep: StoredSweep, cells: list[StoredCell]) -> Sweep:
        """The sweep as the API hands it out: its links signed."""
        counts = dict(Counter(cell.status for cell in cells))
        return Sweep(
            id=sweep.id, workflow=sweep.workflow, params=sweep.params, style=sweep.style, axes=sweep.axes,
            state=_state(sweep, counts), cells=[self.cell(sweep, cell) for cell in cells], counts=counts,
            contact_sheet_url=self.sheet_url(sweep), owner=sweep.owner, created_at=sweep.created_at, finished_at=sweep.finished_at,
        )

    def cell(self, sweep: StoredSweep, cell: StoredCell) -> SweepCell:
        image = first_image(cell)
        return SweepCell(
            index=cell.index, values=cell_values(sweep.axes, cell.index), job_id=cell.job_id, status=cell.status,
            progress=cell.progress, output_url=self.links.sign(image.url) if image else None, error=cell.error,
        )

    def sheet_url(self, sweep: StoredSweep) -> str | None:
        return self.links.sign(f"/outputs/{sweep.sheet_path}") if sweep.sheet_path else None


def first_image(cell: StoredCell) -> Output | None:
    return next((output for output in cell.outputs if output.content_type.startswith("image/")), None)


def cell_values(axes: list[SweepAxis], index: int) -> dict[str, Any]:
    """The axis values of the cell at row-major `index`."""
    values: dict[str, Any] = {}
    for axis in reversed(axes):
        index, position = divmod(index, len(axis.values))
        values[axis.name] = axis.values[position]
    return {axis.name: values[axis.name] for axis in axes}


def _state(sweep: StoredSweep, counts: dict[str, int]) -> SweepState:
    ended = sum(counts.get(status, 0) for status in TERMINAL_STATUSES)
    if ended < sweep.total:
        return "running"
    return "cancelled" if sweep.cancel_requested else "finished"


def _repeated(values: list[Any]) -> list[Any]:
    """[the first value given twice] (as JSON says it: 4 and 4.0 differ), or []."""
    seen = set()
    for value in values:
        key = msgspec.json.encode(value, order="sorted")
        if key in seen:
            return [value]
        seen.add(key)
    return []


def _axis_field(field: str, axes: list[SweepAxis], positions: tuple[int, ...]) -> str:
    """A cell's refused parameter named as the axis value that set it: params.cfg -> axes.cfg[2]."""
    for axis, position in zip(axes, positions):
        if field == f"params.{axis.name}":
            return f"axes.{axis.name}[{position}]"
    return field


def _shared_seed(workflow: Workflow, request: SweepCreate, axes: list[SweepAxis]) -> dict[str, Any]:
    """The shared parameters, with one random seed drawn for every cell (not one each) where the
    seed is random and no axis: the cells then differ by their axis values only."""
    if any(_is_seed(workflow, axis.name) for axis in axes) or not draws_seed(workflow, request.params):
        return dict(request.params)
    return with_seed(workflow, request.params, secrets.randbelow(RANDOM_SEED_MAX + 1))


def _is_seed(workflow: Workflow, name: str) -> bool:
    return isinstance(workflow.manifest.params[name], SeedParam)
