"""GET /api/jobs/{id}/preview and the job.preview event."""

from __future__ import annotations

import io

from litestar.testing import TestClient
from PIL import Image

from server.events.bus import EventBus
from server.events.schemas import JobCancelled, JobPreview, JobSnapshot
from tests.common.live import receive, submit


def image(colour: str, kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, kind)
    return buffer.getvalue()


def test_latest_preview_is_served_and_announced_until_the_job_ends(client: TestClient, bus: EventBus) -> None:
    job = submit(client)
    missing = client.get(f"/api/jobs/{job.id}/preview")
    assert missing.status_code == 404 and "no preview" in missing.json()["detail"]

    with client.websocket_connect(f"/ws/jobs/{job.id}") as socket:
        assert isinstance(receive(socket), JobSnapshot)
        bus.publish_preview(job.id, job.workflow, job.owner, image("red", "JPEG"), "image/jpeg")
        announced = receive(socket)
        assert isinstance(announced, JobPreview) and announced.url == f"/api/jobs/{job.id}/preview"
        served = client.get(announced.url)
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert served.headers["cache-control"] == "no-store" and served.content == image("red", "JPEG")

        # A newer preview replaces the file, whatever its format.
        bus.publish_preview(job.id, job.workflow, job.owner, image("blue", "PNG"), "image/png")
        served = client.get(f"/api/jobs/{job.id}/preview")
        assert served.headers["content-type"] == "image/png" and served.content == image("blue", "PNG")

        bus.publish(JobCancelled(job_id=job.id, workflow=job.workflow))
        while not isinstance(receive(socket), JobCancelled):
            pass
    assert client.get(f"/api/jobs/{job.id}/preview").status_code == 404
