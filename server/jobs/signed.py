"""Jobs as the API hands them out: every output's url and image thumbnail_url signed
(server/access/links.py), so they open in a browser without a key. The stored rows keep the plain
url and no thumbnail_url; the API process signs what it sends (HTTP answers, live-event snapshots
and events), since workers need not hold the secret."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from server.access.links import LinkSigner
from server.jobs.events import JobCreated, JobFinished
from server.jobs.schemas import Job, Output
from server.thumbs.maker import thumbnail_url

Message = TypeVar("Message")


def signed_job(job: Job, links: LinkSigner) -> Job:
    if not job.outputs:
        return job
    return msgspec.structs.replace(job, outputs=[_signed_output(output, links) for output in job.outputs])


def _signed_output(output: Output, links: LinkSigner) -> Output:
    thumbnail = thumbnail_url(output.path, output.content_type)
    return msgspec.structs.replace(output, url=links.sign(output.url), thumbnail_url=thumbnail and links.sign(thumbnail))


def signed(message: Message, links: LinkSigner) -> Message:
    """A job, or an event carrying one (job.created, job.finished), with its job's links signed;
    any other message as it is."""
    if isinstance(message, Job):
        return signed_job(message, links)  # type: ignore[return-value]
    if isinstance(message, JobCreated | JobFinished):
        return msgspec.structs.replace(message, job=signed_job(message.job, links))  # type: ignore[return-value]
    return message
