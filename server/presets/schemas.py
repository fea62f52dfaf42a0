"""Wire types of the presets API."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any

import msgspec

from server.jobs.schemas import WorkflowName
from server.styles.schemas import StyleName

# As long as the presets.name column allows; the characters are checked with a sentence (service).
PresetName = Annotated[str, msgspec.Meta(max_length=100)]


class PresetCreate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Save `job_id`'s parameters and style (a job the caller may see), or `workflow` with `params`
    and `style`."""

    name: PresetName
    job_id: uuid.UUID | None = None
    workflow: WorkflowName | None = None
    # Some of the workflow's parameters: the ones a preset leaves out come from the job's submit.
    params: dict[str, Any] | None = None
    style: StyleName | None = None


class Preset(msgspec.Struct, kw_only=True):
    name: str
    workflow: str
    # As the job was submitted: a random seed is -1.
    params: dict[str, Any]
    # The prompt style (GET /api/styles) to submit with them, if any.
    style: str | None
    # The key name that saved it; null while Studio runs open.
    owner: str | None
    created_at: datetime.datetime
