"""Jobs as the API hands them out: every output's url signed (server/access/links.py), so it opens
in a browser without a key. The stored rows keep the plain url; the API process signs what it sends
(HTTP answers, live-event snapshots and events), since workers need not hold the secret."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from server.access.links import LinkSigner
from server.jobs.events import JobCreated, JobFinished
from server.jobs.schemas import Job

Message = TypeVar("Message")


def signed_job(job: Job, links: LinkSigner) -> Job:
    if not job.outputs:
        return job
    outputs = [msgspec.structs.replace(output, url=links.sign(output.url)) for output in job.outputs]
    return msgspec.structs.replace(job, outputs=outputs)


def signed(message: Message, links: LinkSigner) -> Message:
    """A job, or an event carrying one (job.created, job.finished), with its job's links signed;
    any other message as it is."""
    if isinstance(message, Job):
        return signed_job(message, links)  # type: ignore[return-value]
    if isinstance(message, JobCreated | JobFinished):
        return msgspec.structs.replace(message, job=signed_job(message.job, links))  # type: ignore[return-value]
    return message
