"""The active queue and the latest outcomes, as /ws/events reports them."""

from __future__ import annotations

import uuid

import msgspec

from client.view import progress_detail
from server.events.schemas import (
    JobCancelled,
    JobCreated,
    JobDeleted,
    JobFailed,
    JobFinished,
    JobProgress,
    JobStatus,
    JobUpdated,
    Message,
    QueueSnapshot,
    QueueTotals,
)
from server.jobs.schemas import Job, JobFilters

# Outcomes listed under the queue: finished and failed jobs, newest first.
RECENT = 20
RECENT_FILTERS = JobFilters(statuses=("finished", "failed"))


class ActiveJob(msgspec.Struct, kw_only=True):
    job: Job
    # What runs now, when the worker says: "KSampler 8/20".
    detail: str = ""


class LiveQueue(msgspec.Struct, kw_only=True):
    active: dict[uuid.UUID, ActiveJob] = msgspec.field(default_factory=dict)
    recent: list[Job] = msgspec.field(default_factory=list)
    # Totals over every active job; the snapshot lists at most the server's first 500.
    queued: int = 0
    processing: int = 0

    def reset(self, snapshot: QueueSnapshot, recent: list[Job]) -> None:
        """After (re)connecting: the snapshot and a fresh list of outcomes replace everything."""
        self.active = {item.job.id: ActiveJob(job=item.job) for item in snapshot.jobs}
        self.queued, self.processing = snapshot.queued, snapshot.processing
        self.recent = recent[:RECENT]

    def apply(self, message: Message) -> None:
        match message:
            case QueueTotals(queued=queued, processing=processing):
                self.queued, self.processing = queued, processing
            case JobCreated(job=job):
                self.active[job.id] = ActiveJob(job=job)
            case JobStatus(job_id=job_id, status=status, progress=progress, worker=worker):
                if entry := self.active.get(job_id):
                    started = entry.job.started_at or (message.ts if status == "processing" else None)
                    entry.job = msgspec.structs.replace(
                        entry.job, status=status, progress=progress, worker=worker, started_at=started
                    )
                    entry.detail = ""
            case JobProgress(job_id=job_id, percent=percent):
                if entry := self.active.get(job_id):
                    entry.job = msgspec.structs.replace(entry.job, status="processing", progress=percent)
                    entry.detail = progress_detail(message)
            case JobFinished(job=job):
                self.active.pop(job.id, None)
                self._remember(job)
            case JobFailed(job_id=job_id, error=error, error_details=details):
                if entry := self.active.pop(job_id, None):
                    failed = msgspec.structs.replace(
                        entry.job, status="failed", error=error, error_details=details, finished_at=message.ts
                    )
                    self._remember(failed)
            case JobCancelled(job_id=job_id):
                self.active.pop(job_id, None)
            case JobUpdated(job_id=job_id):
                if entry := self.active.get(job_id):
                    entry.job = message.applied(entry.job)
                self.recent = [message.applied(job) if job.id == job_id else job for job in self.recent]
            case JobDeleted(job_id=job_id):
                self.active.pop(job_id, None)
                self.recent = [job for job in self.recent if job.id != job_id]

    def ordered(self) -> list[ActiveJob]:
        """Running jobs first, then the queue in the order it runs."""
        return sorted(
            self.active.values(),
            key=lambda entry: (entry.job.status != "processing", entry.job.started_at or entry.job.created_at, entry.job.created_at),
        )

    def _remember(self, job: Job) -> None:
        self.recent = [job, *(other for other in self.recent if other.id != job.id)][:RECENT]
