"""Workers' events reach WebSocket clients of the API, across processes through Redis when scaled out."""

from __future__ import annotations

import json

from websockets.sync.client import connect

from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack


def test_job_socket_sees_the_whole_run(stack: Stack, double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.02
    job = stack.submit(steps=40)
    messages = []
    with connect(f"ws://127.0.0.1:{stack.port}/ws/jobs/{job['id']}", open_timeout=10) as socket:
        for raw in socket:  # the server closes after the terminal event
            messages.append(json.loads(raw))
    types = [m["type"] for m in messages]
    assert types[0] == "job.snapshot" and types[-1] == "job.finished", types
    assert "job.progress" in types
    percents = [m["percent"] for m in messages if m["type"] == "job.progress"]
    assert percents == sorted(percents) and percents[-1] > 30
    seqs = [m["seq"] for m in messages]
    assert seqs == sorted(seqs) and len(set(seqs[1:])) == len(seqs) - 1
    assert len(messages[-1]["job"]["outputs"]) == 1


def test_failure_and_cancel_are_pushed(stack: Stack, double: ComfyDouble) -> None:
    failing = stack.submit(prompt=double.settings.fail_value)
    with connect(f"ws://127.0.0.1:{stack.port}/ws/jobs/{failing['id']}", open_timeout=10) as socket:
        last = [json.loads(raw) for raw in socket][-1]
    assert last["type"] == "job.failed" and last["error"].startswith("Node 6 (CLIPTextEncode) failed")

    double.settings.step_seconds = 0.03
    slow = stack.submit(steps=150)
    stack.wait(slow["id"], {"processing"}, progress_at_least=31)
    with connect(f"ws://127.0.0.1:{stack.port}/ws/jobs/{slow['id']}", open_timeout=10) as socket:
        stack.http.post(f"/api/jobs/{slow['id']}/cancel")
        last = [json.loads(raw) for raw in socket][-1]
    assert last["type"] == "job.cancelled"


def test_previews_of_a_running_job_are_announced_and_served(stack: Stack, double: ComfyDouble) -> None:
    double.settings.preview_method = "auto"
    double.settings.step_seconds = 0.05
    job = stack.submit(steps=100)
    with connect(f"ws://127.0.0.1:{stack.port}/ws/jobs/{job['id']}", open_timeout=10) as socket:
        for raw in socket:
            message = json.loads(raw)
            if message["type"] == "job.preview":
                break
        preview = stack.http.get(message["url"])
        assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
        assert preview.content.startswith(b"\xff\xd8"), "a JPEG, as ComfyUI's sampler previews are"
    stack.http.post(f"/api/jobs/{job['id']}/cancel")
    stack.wait(job["id"])


def test_favorite_cancel_request_and_delete_are_pushed_to_every_client(stack: Stack, double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.03
    job = stack.submit(steps=150)
    stack.wait(job["id"], {"processing"}, progress_at_least=31)
    url = f"ws://127.0.0.1:{stack.port}/ws/events"
    with connect(url, open_timeout=10) as everything, connect(f"{url}?status=cancelled", open_timeout=10) as ended:
        snapshot = json.loads(everything.recv(timeout=10))
        assert [item["job"]["id"] for item in snapshot["jobs"]] == [job["id"]]
        assert json.loads(ended.recv(timeout=10))["jobs"] == []

        assert stack.http.put(f"/api/jobs/{job['id']}/favorite").status_code == 200
        assert next_event(everything, job["id"]) == {"type": "job.updated", "status": "processing", "favorite": True, "cancel_requested": False}
        stack.http.post(f"/api/jobs/{job['id']}/cancel")
        assert next_event(everything, job["id"]) == {"type": "job.updated", "status": "processing", "favorite": True, "cancel_requested": True}
        assert next_event(everything, job["id"])["type"] == "job.cancelled"
        # After its end too, and to a client that asked only for cancelled jobs.
        assert stack.http.delete(f"/api/jobs/{job['id']}/favorite").status_code == 200
        assert stack.http.delete(f"/api/jobs/{job['id']}").status_code == 204
        unmarked = {"type": "job.updated", "status": "cancelled", "favorite": False, "cancel_requested": True}
        deleted = {"type": "job.deleted", "status": "cancelled"}
        assert [next_event(everything, job["id"]) for _ in range(2)] == [unmarked, deleted]
        assert [next_event(ended, job["id"]) for _ in range(3)] == [{"type": "job.cancelled"}, unmarked, deleted]


def next_event(socket, job_id: str) -> dict:
    """The next event of the job (queue.totals and progress skipped), without the fields every job event has."""
    while True:
        message = json.loads(socket.recv(timeout=10))
        if message.get("job_id") == job_id and message["type"] not in ("job.progress", "job.preview"):
            return {k: v for k, v in message.items() if k not in ("job_id", "workflow", "owner", "seq", "ts")}
