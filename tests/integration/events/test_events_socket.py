"""WS /ws/events: the active queue on connect, then every event, with optional filters."""

from __future__ import annotations

import msgspec
from litestar.testing import TestClient

from server.events.bus import EventBus
from server.events.schemas import JobCreated, JobFailed, JobProgress, JobStatus, QueueSnapshot, QueueTotals
from tests.common.live import receive, receive_job_events, submit


def test_snapshot_of_the_active_queue_then_every_event_and_totals(client: TestClient, bus: EventBus) -> None:
    first, second = submit(client), submit(client)
    done = submit(client)
    client.post(f"/api/jobs/{done.id}/cancel")
    bus.publish(JobStatus(job_id=second.id, workflow=second.workflow, status="processing"))

    with client.websocket_connect("/ws/events") as socket:
        snapshot = receive(socket)
        assert isinstance(snapshot, QueueSnapshot)
        # Cancelled jobs are not active; seq tells where each job's events resume.
        assert [(item.job.id, item.seq) for item in snapshot.jobs] in (
            [(first.id, 1), (second.id, 1)],  # the status event not yet sent when the snapshot was read
            [(first.id, 1), (second.id, 2)],
        )
        assert (snapshot.queued, snapshot.processing) == (2, 0)

        third = submit(client)
        [created] = receive_job_events(socket, 1)
        assert isinstance(created, JobCreated) and created.job.id == third.id and created.seq == 1
        # Totals follow once the counts settle (a count from before the submission may come first).
        totals = receive(socket)
        while not (isinstance(totals, QueueTotals) and totals.queued == 3):
            totals = receive(socket)
        assert totals.processing == 0 and totals.seq >= 1

        bus.publish(JobProgress(job_id=third.id, workflow=third.workflow, percent=50))
        [progress] = receive_job_events(socket, 1)
        assert isinstance(progress, JobProgress) and progress.job_id == third.id


def test_filters_by_workflow_and_status(client: TestClient, bus: EventBus) -> None:
    with (
        client.websocket_connect("/ws/events?workflow=text_to_image_unet") as by_workflow,
        client.websocket_connect("/ws/events?status=failed") as by_status,
    ):
        assert isinstance(receive(by_workflow), QueueSnapshot)
        assert isinstance(receive(by_status), QueueSnapshot)
        other = submit(client)
        wanted = submit(client, "text_to_image_unet", prompt="a red fox")
        for job in (other, wanted):
            bus.publish(JobFailed(job_id=job.id, workflow=job.workflow, error="out of memory"))

        created, failed = receive_job_events(by_workflow, 2)  # the other workflow's never arrive
        assert isinstance(created, JobCreated) and created.job_id == wanted.id
        assert isinstance(failed, JobFailed) and failed.job_id == wanted.id

        failures = receive_job_events(by_status, 2)  # neither job.created: those jobs are queued
        assert all(isinstance(m, JobFailed) for m in failures)
        assert [m.job_id for m in failures] == [other.id, wanted.id]

def test_snapshot_filters_apply_too(client: TestClient) -> None:
    submit(client)
    wanted = submit(client, "text_to_image_unet", prompt="a red fox")
    with client.websocket_connect("/ws/events?workflow=text_to_image_unet&status=queued") as socket:
        snapshot = receive(socket)
    assert isinstance(snapshot, QueueSnapshot)
    assert [item.job.id for item in snapshot.jobs] == [wanted.id]
    assert msgspec.to_builtins(snapshot)["type"] == "queue.snapshot"
