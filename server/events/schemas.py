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
from server.sweeps.schemas import SweepProgress

# The WebSocket routes' close codes, part of the protocol (clients act on them): 1000 the job is
# done; 1001 the server stops; 1013 reconnect for a fresh snapshot (the client fell too far behind,
# or the Redis feed was interrupted); 4400 a bad filter; 4401 the API key the socket was opened with
# was revoked (within a second, on every API host: server/access/revocations.py); 4404 no such job.
CLOSE_DONE, CLOSE_GOING_AWAY, CLOSE_BEHIND, CLOSE_BAD_FILTER, CLOSE_NO_JOB = 1000, 1001, 1013, 4400, 4404
CLOSE_REVOKED = 4401
KEY_REVOKED = "The API key was revoked: ask an admin for a new one."


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


# What the bus carries from process to process: job events (numbered per job) and sweep.progress.
Published = Union[JobEvent, SweepProgress]
Event = Union[JobEvent, SweepProgress, QueueTotals]
Message = Union[Event, JobSnapshot, QueueSnapshot]

encoder = msgspec.json.Encoder()
event_decoder = msgspec.json.Decoder(Event)
message_decoder = msgspec.json.Decoder(Message)


def is_terminal(message: Message) -> bool:
    return isinstance(message, TERMINAL_EVENTS)
