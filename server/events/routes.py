"""WS /ws/jobs/{id}, WS /ws/events and GET /api/jobs/{id}/preview."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from typing import cast, get_args

import msgspec

from litestar import WebSocket, get, websocket
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath, FromQuery
from litestar.response import File

from server.access.schemas import Caller, KeyName
from server.errors import NUL_MESSAGE, FieldError, NotFound, error_responses, has_nul
from server.events.bus import EventBus
from server.events.schemas import (
    CLOSE_BAD_FILTER,
    CLOSE_BEHIND,
    CLOSE_DONE,
    CLOSE_GOING_AWAY,
    CLOSE_NO_JOB,
    CLOSE_REVOKED,
    KEY_REVOKED,
    Event,
    JobDeleted,
    encoder,
    is_terminal,
)
from server.events.snapshot import job_snapshot, queue_snapshot
from server.events.subscription import Outgoing, Subscription, event_filter
from server.http.ws_protocol import FRAMES, FrameWriter
from server.jobs.schemas import TERMINAL_STATUSES, Status
from server.jobs.service import JobService

Bus = NamedDependency[EventBus]
# Whom the socket or request acts for (server/access/middleware.py).
Me = NamedDependency[Caller]

# A client that went away: nothing to report (uvicorn's ClientDisconnected is an OSError).
_GONE = (WebSocketDisconnect, OSError)


@websocket("/ws/jobs/{job_id:uuid}")
async def job_socket(socket: WebSocket, job_id: FromPath[uuid.UUID], events: Bus, caller: Me) -> None:
    """The job's snapshot, then its events; closes (1000) after the terminal event. Someone
    else's job is closed as no job (4404)."""
    await socket.accept()
    # Subscribe before reading the snapshot, so nothing falls between the two.
    with events.subscribe(Subscription(job_id=job_id, key_id=caller.key_id)) as subscription, contextlib.suppress(*_GONE):
        snapshot = await job_snapshot(events, job_id, caller.scope)
        if snapshot is None:
            await socket.close(CLOSE_NO_JOB, f"No job with id {job_id}.")
            return
        await socket.send_text(encoder.encode(snapshot).decode())
        if snapshot.job.status in TERMINAL_STATUSES:
            await socket.close(CLOSE_DONE, f"Job {job_id} is {snapshot.job.status}.")
            return
        await _stream(socket, subscription, {job_id: snapshot.seq}, until_terminal=True)


@websocket("/ws/events")
async def events_socket(
    socket: WebSocket,
    events: Bus,
    caller: Me,
    # Checked here, not by Litestar: its refusal of a WebSocket's query closes with 4500 and a reason
    # quoting the whole query, past the 123 bytes a close frame may carry. Documented in websocket_docs.
    status: FromQuery[list[str] | None] = None,
    workflow: FromQuery[str | None] = None,
    owner: FromQuery[str | None] = None,
) -> None:
    """A snapshot of the active queue, then every event (optionally filtered): a user key's own
    jobs only, an admin's of every owner or of `owner`. The totals always count the whole queue."""
    await socket.accept()
    if refusal := _bad_filter(status or [], workflow, owner):
        await socket.close(CLOSE_BAD_FILTER, refusal)
        return
    statuses = cast("tuple[Status, ...]", tuple(status or ()))
    owner = caller.scope or owner
    feed = Subscription(event_filter(statuses, workflow, owner), key_id=caller.key_id)
    with events.subscribe(feed) as subscription, contextlib.suppress(*_GONE):
        snapshot = await queue_snapshot(events, statuses, workflow, owner)
        await socket.send_text(encoder.encode(snapshot).decode())
        seen = {item.job.id: item.seq for item in snapshot.jobs}
        await _stream(socket, subscription, seen, until_terminal=False)


def _bad_filter(statuses: list[str], workflow: str | None, owner: str | None) -> str | None:
    """Why the feed's filters cannot be used, in a sentence short enough for a close frame."""
    if unknown := set(statuses) - set(get_args(Status)):
        return f"status: must be one of {', '.join(get_args(Status))} (got {len(unknown)} other value(s))"
    if workflow and has_nul(workflow):  # PostgreSQL cannot compare text holding NUL: the snapshot would fail
        return f"workflow: {NUL_MESSAGE}"
    if owner is not None and not _is_key_name(owner):
        return "owner: must be the name of an API key"
    return None


def _is_key_name(text: str) -> bool:
    try:
        msgspec.convert(text, KeyName)
    except msgspec.ValidationError:
        return False
    return True


@get(
    "/api/jobs/{job_id:uuid}/preview",
    tags=["jobs"],
    summary="The latest preview image of a running job",
    responses=error_responses(404),
)
async def job_preview(job_id: FromPath[uuid.UUID], events: Bus, jobs: NamedDependency[JobService], caller: Me) -> File:
    await jobs.get(job_id, caller)  # someone else's job: 404 as for no job
    found = events.previews.find(job_id)
    if found is None:
        raise NotFound(
            f"Job {job_id} has no preview: previews exist only while a job runs and its workflow streams them.",
            [FieldError("id", "no preview")],
        )
    path, mime = found
    return File(path=path, media_type=mime, content_disposition_type="inline", headers={"Cache-Control": "no-store"})


async def _stream(socket: WebSocket, subscription: Subscription, seen: dict[uuid.UUID, int], *, until_terminal: bool) -> None:
    """Send the subscription's messages until done, the client leaves, or the server stops."""
    writer = asyncio.create_task(_write(socket, subscription, seen, until_terminal))
    # Reading is how a disconnect is noticed while no event is due.
    reader = asyncio.create_task(_read_until_disconnect(socket))
    try:
        await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (writer, reader):
            task.cancel()
        await asyncio.gather(writer, reader, return_exceptions=True)
    if not writer.cancelled() and (error := writer.exception()) is not None:
        raise error


async def _write(socket: WebSocket, subscription: Subscription, seen: dict[uuid.UUID, int], until_terminal: bool) -> None:
    """Writes what the subscription queued; with a FrameWriter (under uvicorn), events that find
    the queue empty and the socket keeping up are written by the fan-out itself (_write_now)."""
    frames: FrameWriter | None = (socket.scope.get("extensions") or {}).get(FRAMES)
    if frames is not None:
        subscription.direct = functools.partial(_write_now, frames, seen, until_terminal)
    with contextlib.suppress(*_GONE):
        while True:
            if frames is not None:
                # Before taking the next message, so it is written as soon as taken: nothing the
                # fan-out writes meanwhile can overtake it.
                await frames.drain()
            if (item := await subscription.get()) is None:
                break
            event, out = item
            if _already_in_snapshot(event, seen):
                continue
            if frames is not None:
                frames.write(out.frame)
            else:
                await socket.send_text(out.text)
            if until_terminal and isinstance(event, JobDeleted):  # a queued job deleted: nothing more will come
                await socket.close(CLOSE_NO_JOB, f"Job {event.job_id} was deleted.")
                return
            if is_terminal(event):
                if until_terminal:
                    await socket.close(CLOSE_DONE, "The job is done.")
                    return
                # What follows a job's end (job.updated, job.deleted) is newer than any snapshot,
                # and the in-memory transport numbers those events from 1 again.
                seen.pop(event.job_id, None)
        if subscription.revoked:
            await socket.close(CLOSE_REVOKED, KEY_REVOKED)
        elif subscription.resync_reason:
            await socket.close(CLOSE_BEHIND, subscription.resync_reason)
        else:
            await socket.close(CLOSE_GOING_AWAY, "Studio is shutting down.")


def _write_now(frames: FrameWriter, seen: dict[uuid.UUID, int], until_terminal: bool, event: Event, out: Outgoing) -> bool:
    """The subscription's direct writer: False queues the event for the writer task (the client
    is behind, or the event ends a /ws/jobs stream, which takes a close after it)."""
    if _already_in_snapshot(event, seen):
        return True
    if not frames.ready() or (until_terminal and (is_terminal(event) or isinstance(event, JobDeleted))):
        return False
    frames.write(out.frame)
    if is_terminal(event):
        seen.pop(event.job_id, None)  # as in _write
    return True


def _already_in_snapshot(event: Event, seen: dict[uuid.UUID, int]) -> bool:
    job_id = getattr(event, "job_id", None)
    return job_id in seen and event.seq <= seen[job_id]


async def _read_until_disconnect(socket: WebSocket) -> None:
    async for _ in socket.iter_data():
        pass  # clients have nothing to say; their messages are ignored
