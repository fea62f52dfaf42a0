"""Live events and the other messages of the WebSocket protocol, one tagged union.

Every job event carries `job_id`, `workflow` (so subscribers can filter without a lookup),
a per-job `seq` (increasing across every process that publishes for the job) and `ts` (UTC).
Publishers leave `seq` and `ts` alone: the bus assigns them.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, ClassVar, Literal, Union

import msgspec

from server.jobs.schemas import Job, Status


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class _Message(msgspec.Struct, tag_field="type"):
    # Intermediate messages a slow client may miss (a newer one of the same kind replaces them).
    droppable: ClassVar[bool] = False


class _JobEvent(_Message):
    job_id: uuid.UUID
    workflow: str
    seq: int = 0
    ts: datetime.datetime = _EPOCH


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
    error_details: Any | None = None


class JobCancelled(_JobEvent, kw_only=True, tag="job.cancelled"):
    status: ClassVar[Status] = "cancelled"


class QueueTotals(_Message, kw_only=True, tag="queue.totals"):
    droppable: ClassVar[bool] = True
    queued: int
    processing: int
    # Counts this API process's totals messages (totals are derived per process, not per job).
    seq: int = 0
    ts: datetime.datetime = _EPOCH


class JobSnapshot(_Message, kw_only=True, tag="job.snapshot"):
    """Sent first on /ws/jobs/{id}: the job as stored, and the seq it reflects."""

    job: Job
    seq: int


class QueueSnapshot(_Message, kw_only=True, tag="queue.snapshot"):
    """Sent first on /ws/events: active jobs (processing first, then the oldest queued) and totals."""

    jobs: list[JobSnapshot]
    queued: int
    processing: int


JobEvent = Union[JobCreated, JobStatus, JobProgress, JobPreview, JobFinished, JobFailed, JobCancelled]
Event = Union[JobEvent, QueueTotals]
Message = Union[Event, JobSnapshot, QueueSnapshot]
TERMINAL_EVENTS = (JobFinished, JobFailed, JobCancelled)

encoder = msgspec.json.Encoder()
event_decoder = msgspec.json.Decoder(Event)
message_decoder = msgspec.json.Decoder(Message)


def is_terminal(message: Message) -> bool:
    return isinstance(message, TERMINAL_EVENTS)
