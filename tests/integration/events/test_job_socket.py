"""WS /ws/jobs/{id} on the real app (sync TestClient), SQLite and PostgreSQL."""

from __future__ import annotations

import time

import msgspec
import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from server.comfy.node_errors import NodeError, NodeErrorItem
from server.events.bus import EventBus
from server.events.schemas import (
    JobCancelled,
    JobDeleted,
    JobFailed,
    JobFinished,
    JobProgress,
    JobSnapshot,
    JobStatus,
)
from server.jobs.failures import OutputsFailedValidation
from tests.common.live import WAIT, new_id, receive, submit


def test_snapshot_then_ordered_events_then_normal_close(client: TestClient, bus: EventBus) -> None:
    job = submit(client)
    with client.websocket_connect(f"/ws/jobs/{job.id}") as socket:
        snapshot = receive(socket)
        assert isinstance(snapshot, JobSnapshot)
        assert snapshot.job.id == job.id and snapshot.job.status == "queued"
        assert snapshot.seq == 1  # job.created was published (and flushed) before the 202

        bus.publish(JobStatus(job_id=job.id, workflow=job.workflow, status="processing", progress=10, worker="w1"))
        for percent in (20, 40, 60):
            bus.publish(JobProgress(job_id=job.id, workflow=job.workflow, percent=percent, node="3", node_class="KSampler", step=percent // 5, total=20))
            time.sleep(0.12)  # past the throttle window: every one of them is sent
        done = msgspec.structs.replace(job, status="finished", progress=100)
        bus.publish(JobFinished(job_id=job.id, workflow=job.workflow, job=done))

        status = receive(socket)
        assert isinstance(status, JobStatus) and (status.status, status.worker) == ("processing", "w1")
        progress = [receive(socket) for _ in range(3)]
        assert [p.percent for p in progress if isinstance(p, JobProgress)] == [20, 40, 60]
        assert progress[0].node_class == "KSampler" and progress[0].total == 20
        finished = receive(socket)
        assert isinstance(finished, JobFinished) and finished.job.status == "finished"

        seqs = [status.seq, *(p.seq for p in progress), finished.seq]
        assert seqs == list(range(2, 7))
        stamps = [status.ts, *(p.ts for p in progress), finished.ts]
        assert stamps == sorted(stamps) and stamps[0].tzinfo is not None

        with pytest.raises(WebSocketDisconnect) as closed:
            receive(socket)
        assert closed.value.code == 1000


def test_a_queued_job_deleted_while_watched_closes_its_socket_saying_so(client: TestClient) -> None:
    job = submit(client)
    with client.websocket_connect(f"/ws/jobs/{job.id}") as socket:
        assert isinstance(receive(socket), JobSnapshot)
        assert client.delete(f"/api/jobs/{job.id}").status_code == 204
        deleted = receive(socket)
        assert isinstance(deleted, JobDeleted) and deleted.status == "queued"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(socket)
    assert (closed.value.code, closed.value.detail) == (4404, f"Job {job.id} was deleted.")


def test_a_job_already_done_sends_its_snapshot_and_closes_at_once(client: TestClient) -> None:
    job = submit(client)
    assert client.post(f"/api/jobs/{job.id}/cancel").status_code == 200
    with client.websocket_connect(f"/ws/jobs/{job.id}") as socket:
        snapshot = receive(socket)
        assert isinstance(snapshot, JobSnapshot) and snapshot.job.status == "cancelled"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(socket)
    assert closed.value.code == 1000 and "cancelled" in closed.value.detail


def test_cancelling_a_queued_job_is_announced(client: TestClient) -> None:
    job = submit(client)
    with client.websocket_connect(f"/ws/jobs/{job.id}") as socket:
        assert isinstance(receive(socket), JobSnapshot)
        client.post(f"/api/jobs/{job.id}/cancel")
        cancelled = receive(socket)
        assert isinstance(cancelled, JobCancelled) and cancelled.job_id == job.id and cancelled.seq == 2
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(socket)
        assert closed.value.code == 1000


def test_unknown_job_is_closed_with_4404_and_a_reason(client: TestClient) -> None:
    missing = new_id()
    with client.websocket_connect(f"/ws/jobs/{missing}") as socket:
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text(timeout=WAIT)
    assert closed.value.code == 4404 and str(missing) in closed.value.detail


def test_progress_is_throttled_to_about_ten_a_second_keeping_the_latest(client: TestClient, bus: EventBus) -> None:
    job = submit(client)
    with client.websocket_connect(f"/ws/jobs/{job.id}") as socket:
        receive(socket)
        started = time.monotonic()
        for percent in range(1, 101):
            bus.publish(JobProgress(job_id=job.id, workflow=job.workflow, percent=percent))
        published_in = time.monotonic() - started
        received: list[int] = []
        while not received or received[-1] != 100:
            message = receive(socket)
            assert isinstance(message, JobProgress)
            received.append(message.percent)
        elapsed = time.monotonic() - started
        # The first goes at once; the rest collapse into the latest per 0.1 s window.
        assert received[0] == 1 and received[-1] == 100
        assert len(received) <= 2 + elapsed / 0.1, (received, elapsed)
        assert received == sorted(received)
        assert published_in < 0.5  # publish() only hands the event over

        refused = OutputsFailedValidation(
            node_errors={"3": NodeError(errors=[NodeErrorItem(type="value_not_in_list", message="Value not in list")], class_type="KSampler")}
        )
        bus.publish(JobFailed(job_id=job.id, workflow=job.workflow, error="ComfyUI refused the workflow.", error_details=refused))
        failed = receive(socket)
        assert isinstance(failed, JobFailed) and failed.error_details == refused


def test_a_client_that_does_not_read_holds_back_neither_others_nor_the_publisher(client: TestClient, bus: EventBus) -> None:
    job = submit(client)
    with client.websocket_connect(f"/ws/jobs/{job.id}") as stalled, client.websocket_connect(f"/ws/jobs/{job.id}") as reader:
        receive(stalled)
        receive(reader)
        started = time.monotonic()
        for worker in range(300):  # status events are never dropped, so none is throttled here
            bus.publish(JobStatus(job_id=job.id, workflow=job.workflow, status="processing", worker=f"w{worker}"))
        assert time.monotonic() - started < 1.0
        workers = []
        for _ in range(300):
            message = receive(reader)
            assert isinstance(message, JobStatus)
            workers.append(message.worker)
        assert workers == [f"w{n}" for n in range(300)]
