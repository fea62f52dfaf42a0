"""The original system's routes still answer the way its clients expect."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from litestar.testing import TestClient

from server.db.tables import Job


def test_generate_status_cancel_history(client: TestClient) -> None:
    response = client.post("/api/generate", json={"prompt": "a fox", "aspect_ratio": "16:9", "batch_size": 2, "seed": 5})
    assert response.status_code == 202
    task = response.json()
    assert (task["status"], task["workflow"], task["seed"], task["batch_size"]) == ("queued", "text_to_image", 5, 2)

    status = client.get(f"/api/status/{task['task_id']}").json()
    assert {"status", "progress", "image_url", "image_urls", "error"} <= status.keys()
    assert (status["status"], status["progress"], status["image_url"], status["error"]) == ("queued", 0, None, None)

    assert client.post(f"/api/cancel/{task['task_id']}").json() == {"success": True, "message": "Task cancelled"}
    assert client.get(f"/api/status/{task['task_id']}").json()["status"] == "cancelled"

    client.post("/api/generate", json={"prompt": "second", "workflow": "text_to_image_unet"})
    history = client.get("/api/history", params={"limit": 1, "offset": 1}).json()
    assert (history["limit"], history["offset"]) == (1, 1)
    assert [t["task_id"] for t in history["history"]] == [task["task_id"]]


def test_status_lists_every_image_url(client: TestClient) -> None:
    job_id = client.post("/api/generate", json={"prompt": "grid"}).json()["task_id"]
    outputs = [
        {"path": f"{job_id}/grid_{i}.png", "url": f"/outputs/{job_id}/grid_{i}.png", "filename": f"grid_{i}.png"}
        for i in range(2)
    ]

    async def finish() -> None:
        await Job.update({Job.status: "finished", Job.progress: 100, Job.outputs: outputs}).where(
            Job.id == uuid.UUID(job_id)
        )

    client.blocking_portal.call(finish)
    status = client.get(f"/api/status/{job_id}").json()
    assert status["status"] == "finished" and status["progress"] == 100
    # The stored urls, signed (?exp=&sig=).
    assert urlsplit(status["image_url"]).path == outputs[0]["url"]
    assert [urlsplit(url).path for url in status["image_urls"]] == [o["url"] for o in outputs]


def test_generate_refusals_use_the_same_messages(client: TestClient) -> None:
    response = client.post("/api/generate", json={"prompt": "x", "batch_size": 9})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "params.batch_size"
    assert client.post("/api/generate", json={"workflow": "nope", "prompt": "x"}).status_code == 400
