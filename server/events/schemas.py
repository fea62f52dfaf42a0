"""Live events and the other messages of the WebSocket protocol, one tagged union.

The job events themselves are defined in `server.jobs.events` (the job service publishes them
without importing this package) and re-exported here with the protocol's other messages.
"""

from __future__ import annotations

import datetime
from typing import ClassVar, Union

import msgspec

# Re-exported: the protocol's users import every message from here.
from server.jobs.events import (  # noqa: F401
    EPOCH,
    TERMINAL_EVENTS,
    JobCancelled,
    JobCreated,
    JobDeleted,
    JobEvent,
    JobFailed,
    JobFinished,
    JobPreview,
    JobProgress,
    JobStatus,
    JobUpdated,
    TaggedMessage,
)
from server.jobs.schemas import Job


class QueueTotals(TaggedMessage, kw_only=True, tag="queue.totals"):
    droppable: ClassVar[bool] = True
    queued: int
    processing: int
    # Counts this API process's totals messages (totals are derived per process, not per job).
    seq: int = 0
    ts: datetime.datetime = EPOCH


class JobSnapshot(TaggedMessage, kw_only=True, tag="job.snapshot"):
    """Sent first on /ws/jobs/{id}: the job as stored, and the seq it reflects."""

    job: Job
    seq: int


class QueueSnapshot(TaggedMessage, kw_only=True, tag="queue.snapshot"):
    """Sent first on /ws/events: active jobs (processing first, then the oldest queued) and totals."""

    jobs: list[JobSnapshot]
    queued: int
    processing: int


Event = Union[JobEvent, QueueTotals]
Message = Union[Event, JobSnapshot, QueueSnapshot]

encoder = msgspec.json.Encoder()
event_decoder = msgspec.json.Decoder(Event)
message_decoder = msgspec.json.Decoder(Message)


def is_terminal(message: Message) -> bool:
    return isinstance(message, TERMINAL_EVENTS)
