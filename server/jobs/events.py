"""The events a job's changes are published as, one tagged union.

Every job event carries `job_id`, `workflow` and `owner` (so subscribers can filter without a lookup),
a per-job `seq` (increasing across every process that publishes for the job) and `ts` (UTC).
Publishers leave `seq` and `ts` alone: the bus assigns them.

They live here, beside the job schema, so the job service can publish them without importing
the events package (which delivers them, and imports jobs); `server.events.schemas` re-exports
them with the rest of the WebSocket protocol.
"""

from __future__ import annotations

import datetime
import uuid
from typing import ClassVar, Literal, Union

import msgspec

from server.jobs.failures import Failure
from server.jobs.schemas import Job, Status

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class TaggedMessage(msgspec.Struct, tag_field="type"):
    """A message of the live-event protocol, told apart by its `type`."""

    # Intermediate messages a slow client may miss (a newer one of the same kind replaces them).
    droppable: ClassVar[bool] = False


class _JobEvent(TaggedMessage):
    job_id: uuid.UUID
    workflow: str
    # The job's owner (the key's name; null while Studio runs open): a user key's live feed
    # carries its own jobs' events only.
    owner: str | None = None
    seq: int = 0
    ts: datetime.datetime = EPOCH


class JobCreated(_JobEvent, kw_only=True, tag="job.created"):
    status: ClassVar[Status] = "queued"
    job: Job


class JobStatus(_JobEvent, kw_only=True, tag="job.status"):
    """A change between the active statuses (a terminal change is its own event)."""

    status: Literal["queued", "processing"]
    progress: int = 0
    worker: str | None = None


class JobProgress(_JobEvent, kw_only=True, tag="job.progress"):
    status: ClassVar[Status] = "processing"
    droppable: ClassVar[bool] = True
    percent: int
    node: str | None = None
    node_class: str | None = None
    step: int | None = None
    total: int | None = None


class JobPreview(_JobEvent, kw_only=True, tag="job.preview"):
    status: ClassVar[Status] = "processing"
    droppable: ClassVar[bool] = True
    # Where the latest preview image is served; fetch it again on every event.
    url: str


class JobFinished(_JobEvent, kw_only=True, tag="job.finished"):
    status: ClassVar[Status] = "finished"
    job: Job


class JobFailed(_JobEvent, kw_only=True, tag="job.failed"):
    status: ClassVar[Status] = "failed"
    error: str
    error_details: Failure | None = None


class JobCancelled(_JobEvent, kw_only=True, tag="job.cancelled"):
    status: ClassVar[Status] = "cancelled"


class JobUpdated(_JobEvent, kw_only=True, tag="job.updated"):
    """A user changed the job's flags: marked or unmarked it as a favorite, or asked a running
    job to stop. Both flags as stored after the change; `status` the job's status then (what
    `?status=` filters by). Only these fields: the whole job, read beside a worker finishing
    it, could carry an older status than the job.finished published before it."""

    status: Status
    favorite: bool
    cancel_requested: bool

    def applied(self, job: Job) -> Job:
        """`job` (as a client holds it) with this change."""
        return msgspec.structs.replace(job, favorite=self.favorite, cancel_requested=self.cancel_requested)


class JobDeleted(_JobEvent, kw_only=True, tag="job.deleted"):
    """The job left the history (DELETE /api/jobs/{id}) and its files are gone; `status` is the
    one it had."""

    status: Status


JobEvent = Union[
    JobCreated, JobStatus, JobProgress, JobPreview, JobFinished, JobFailed, JobCancelled, JobUpdated, JobDeleted
]
TERMINAL_EVENTS = (JobFinished, JobFailed, JobCancelled)
