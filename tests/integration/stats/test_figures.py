"""/api/stats and the job figures of /metrics over a known set of rows (SQLite and PostgreSQL):
the window is the last hour, deleted jobs count (a finished job stays one), percentiles are
nearest-rank, histograms cumulative."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from server.clock import utc_now
from server.db.tables import Job
from tests.integration.stats.scrape import scrape, value

def row(workflow: str, status: str, created: float, started: float | None = None, ended: float | None = None, **more: Any) -> dict[str, Any]:
    """A job submitted, started and ended that many seconds ago (Job arguments, once `now` is known)."""
    return {"workflow": workflow, "status": status, "times": (created, started, ended), **more}


def job(now: datetime.datetime, known: dict[str, Any]) -> Job:
    values = dict(known)
    created, started, ended = (None if seconds is None else now - datetime.timedelta(seconds=seconds) for seconds in values.pop("times"))
    return Job(**values, created_at=created, started_at=started, finished_at=ended)


ROWS = [
    row("text_to_image", "finished", 100, 90, 60),  # waited 10 s, ran 30 s
    row("text_to_image", "finished", 50, 48, 40),  # 2, 8
    row("text_to_image", "finished", 70, 66, 64, is_deleted=True),  # 4, 2: deleted, still finished in the hour
    row("text_to_image", "cancelled", 20, None, 19),  # cancelled while queued: no wait, no run
    row("text_to_image", "finished", 7300, 7290, 7200),  # 10, 90: two hours ago, outside the window
    row("text_to_image", "queued", 5),
    row("text_to_image", "processing", 10, 8),  # 2
    row("upscale", "failed", 30, 29, 25, error_details={"type": "execution_error", "node_id": "3", "node_type": "KSampler",
        "exception_type": "RuntimeError", "exception_message": "CUDA out of memory", "traceback": []}),  # 1, 4
    row("upscale", "failed", 9000, 8990, 8980),  # failed with no details, long ago
]


@pytest.fixture
def rows(client: TestClient) -> None:
    now = utc_now()
    client.blocking_portal.call(Job.insert(*(job(now, known) for known in ROWS)).run)


@pytest.mark.usefixtures("rows")
def test_stats_sum_up_the_last_hour(client: TestClient) -> None:
    response = client.get("/api/stats")
    assert response.status_code == 200, response.text
    stats = response.json()
    lanes = stats.pop("lanes")
    assert [lane["up"] for lane in lanes] == [False]  # the test's ComfyUI URL: nobody listens
    wait, run = stats.pop("wait"), stats.pop("run")
    assert stats == {
        "window_seconds": 3600,
        "finished_per_minute": 0.05,
        "finished": 3,
        "failed": 1,
        "cancelled": 1,
        "queued": 1,
        "processing": 1,
        "workflows": [
            {"workflow": "text_to_image", "finished": 3, "failed": 0, "cancelled": 1},
            {"workflow": "upscale", "finished": 0, "failed": 1, "cancelled": 0},
        ],
    }
    # Waits of the jobs that started in the hour: 1 2 2 4 10; runs of those that ended: 2 4 8 30.
    assert wait == pytest.approx({"p50": 2, "p90": 10, "p99": 10}, abs=0.01)
    assert run == pytest.approx({"p50": 4, "p90": 30, "p99": 30}, abs=0.01)


def test_stats_of_an_empty_hour_have_no_percentiles(client: TestClient) -> None:
    stats = client.get("/api/stats").json()
    assert stats["wait"] == stats["run"] == {"p50": None, "p90": None, "p99": None}
    assert (stats["finished"], stats["finished_per_minute"], stats["workflows"]) == (0, 0, [])


@pytest.mark.usefixtures("rows")
def test_metrics_count_every_job_ever(client: TestClient) -> None:
    text = scrape(client)
    t2i = {"workflow": "text_to_image"}
    assert value(text, "studio_jobs_submitted_total", **t2i) == 7
    assert value(text, "studio_jobs_submitted_total", workflow="upscale") == 2
    assert value(text, "studio_jobs_total", status="finished", **t2i) == 4
    assert value(text, "studio_jobs_total", status="cancelled", **t2i) == 1
    assert value(text, "studio_jobs_total", status="failed", workflow="upscale") == 2
    assert value(text, "studio_job_errors_total", kind="execution_error") == 1
    assert value(text, "studio_job_errors_total", kind="unknown") == 1
    assert value(text, "studio_queue_depth") == 1
    assert value(text, "studio_jobs_running") == 1
    # Waits 10 2 4 10 2; runs 30 8 2 90 (cumulative buckets).
    assert [value(text, "studio_job_wait_seconds_bucket", le=le, **t2i) for le in ("1.0", "2.0", "5.0", "10.0", "+Inf")] == [0, 2, 3, 5, 5]
    assert value(text, "studio_job_wait_seconds_sum", **t2i) == pytest.approx(28, abs=0.01)
    assert [value(text, "studio_job_run_seconds_bucket", le=le, **t2i) for le in ("2.0", "5.0", "10.0", "30.0", "60.0", "120.0")] == [1, 1, 2, 3, 3, 4]
    assert value(text, "studio_job_run_seconds_count", **t2i) == 4
    assert value(text, "studio_job_run_seconds_sum", **t2i) == pytest.approx(130, abs=0.01)
