"""The queue as the TUI keeps it from /ws/events: snapshot, events, order, outcomes."""

from __future__ import annotations

import uuid

from server.events.schemas import (
    JobCreated,
    JobDeleted,
    JobFailed,
    JobFinished,
    JobProgress,
    JobSnapshot,
    JobStatus,
    JobUpdated,
    QueueSnapshot,
)
from server.jobs.schemas import JobFilters
from tests.tui.jobs import T0, job
from tui.live import LiveQueue

def test_snapshot_then_events_keep_running_jobs_first_and_the_queue_in_order() -> None:
    live = LiveQueue()
    snapshot = QueueSnapshot(jobs=[JobSnapshot(job=job(1), seq=1), JobSnapshot(job=job(2), seq=1)], queued=2, processing=0)
    live.reset(snapshot, [job(0, "finished")])
    live.apply(JobCreated(job_id=uuid.UUID(int=3), workflow="text_to_image", job=job(3)))
    live.apply(JobStatus(job_id=uuid.UUID(int=2), workflow="text_to_image", status="processing", progress=10, ts=T0))
    live.apply(JobProgress(job_id=uuid.UUID(int=2), workflow="text_to_image", percent=40, node_class="KSampler", step=4, total=20))
    order = live.ordered()
    assert [entry.job.prompt for entry in order] == ["job 2", "job 1", "job 3"]
    assert (order[0].job.status, order[0].job.progress, order[0].detail, order[0].job.started_at) == ("processing", 40, "KSampler 4/20", T0)


def test_outcomes_leave_the_queue_and_head_the_recent_list() -> None:
    live = LiveQueue()
    live.reset(QueueSnapshot(jobs=[JobSnapshot(job=job(1, "processing"), seq=1), JobSnapshot(job=job(2), seq=1)], queued=1, processing=1), [job(0, "finished")])
    live.apply(JobFinished(job_id=uuid.UUID(int=1), workflow="text_to_image", job=job(1, "finished", progress=100)))
    live.apply(JobFailed(job_id=uuid.UUID(int=2), workflow="text_to_image", error="Node 3 (KSampler) failed", ts=T0))
    assert not live.active
    assert [(j.prompt, j.status) for j in live.recent] == [("job 2", "failed"), ("job 1", "finished"), ("job 0", "finished")]
    assert live.recent[0].error == "Node 3 (KSampler) failed" and live.recent[0].finished_at == T0
    # A job the HTTP list already had (it finished between the snapshot and the list) is not doubled.
    live.apply(JobFinished(job_id=uuid.UUID(int=0), workflow="text_to_image", job=job(0, "finished")))
    assert [j.prompt for j in live.recent] == ["job 0", "job 2", "job 1"]


def test_a_favorite_a_cancel_request_and_a_delete_made_anywhere_change_the_queue_and_the_outcomes() -> None:
    live = LiveQueue()
    live.reset(QueueSnapshot(jobs=[JobSnapshot(job=job(1, "processing"), seq=1), JobSnapshot(job=job(2), seq=1)], queued=1, processing=1), [job(0, "finished")])
    live.apply(JobUpdated(job_id=uuid.UUID(int=1), workflow="text_to_image", status="processing", favorite=False, cancel_requested=True))
    live.apply(JobUpdated(job_id=uuid.UUID(int=0), workflow="text_to_image", status="finished", favorite=True, cancel_requested=False))
    running = live.active[uuid.UUID(int=1)].job
    assert (running.status, running.cancel_requested) == ("processing", True)  # shown as "cancelling"
    assert live.recent[0].favorite
    live.apply(JobDeleted(job_id=uuid.UUID(int=2), workflow="text_to_image", status="queued"))
    live.apply(JobDeleted(job_id=uuid.UUID(int=0), workflow="text_to_image", status="finished"))
    assert list(live.active) == [uuid.UUID(int=1)] and live.recent == []


def test_history_filters_admit_a_live_job_as_the_server_query_would() -> None:
    fox = job(1, "finished", prompt="A Red Fox", workflow="upscale", favorite=True)
    assert JobFilters().admits(fox)
    assert JobFilters(statuses=("failed", "finished"), workflow="upscale", favorite=True, text="red fox").admits(fox)
    assert not JobFilters(statuses=("queued",)).admits(fox)
    assert not JobFilters(workflow="text_to_image").admits(fox)
    assert not JobFilters(favorite=False).admits(fox)
    assert not JobFilters(text="owl").admits(fox)
