"""What a watcher knows about one job, kept up to date from its snapshot and events."""

from __future__ import annotations

import msgspec

from server.events.schemas import (
    JobCancelled,
    JobCreated,
    JobFailed,
    JobFinished,
    JobProgress,
    JobSnapshot,
    JobStatus,
    Message,
)
from server.jobs.failures import Failure
from server.jobs.schemas import Job, Output, Status, TextOutput


class JobView(msgspec.Struct, kw_only=True):
    job_id: str
    status: Status = "queued"
    percent: int = 0
    # "KSampler 8/20": what runs now, when the worker says.
    detail: str = ""
    outputs: list[Output] = msgspec.field(default_factory=list)
    texts: list[TextOutput] = msgspec.field(default_factory=list)
    error: str | None = None
    error_details: Failure | None = None

    def apply(self, message: Message) -> None:
        match message:
            case JobSnapshot(job=job) | JobCreated(job=job) | JobFinished(job=job):
                self._take(job)
            case JobStatus(status=status, progress=progress):
                self.status, self.percent, self.detail = status, progress, ""
            case JobProgress():
                self.status, self.percent, self.detail = "processing", message.percent, progress_detail(message)
            case JobFailed(error=error, error_details=details):
                self.status, self.error, self.error_details = "failed", error, details
            case JobCancelled():
                self.status = "cancelled"

    def _take(self, job: Job) -> None:
        self.status, self.percent, self.outputs, self.texts = job.status, job.progress, job.outputs, job.texts
        self.error, self.error_details = job.error, job.error_details
        if job.status != "processing":
            self.detail = ""


def progress_detail(progress: JobProgress) -> str:
    """The node that runs and its steps, e.g. "KSampler 8/20", as far as the worker says."""
    steps = f"{progress.step}/{progress.total}" if progress.step is not None and progress.total else ""
    return " ".join(part for part in (progress.node_class or "", steps) if part)
