"""Jobs run on ComfyUI through the API: finished with outputs, rejected, failed at run time."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack


def test_batch_of_four_finishes_with_downloadable_images(stack: Stack, double: ComfyDouble) -> None:
    job = stack.wait(stack.submit(batch_size=4, aspect_ratio="16:9", seed=123)["id"])
    assert job["status"] == "finished", job
    assert job["progress"] == 100 and job["error"] is None
    assert job["started_at"] and job["finished_at"]
    assert len(job["outputs"]) == 4
    for output in job["outputs"]:
        image = stack.http.get(output["url"])
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        assert (output["width"], output["height"]) == (1344, 768)
    graph = double.received_prompts[0].body["prompt"]
    assert graph["3"]["inputs"]["seed"] == 123, "the stored seed is the one ComfyUI got"
    assert double.received_prompts[0].prompt_id == job["id"], "prompt_id = job id"


def test_text_outputs_are_kept_on_the_job(stack: Stack) -> None:
    job = stack.wait(stack.submit("extract", prompt="job 42 of 97")["id"])
    assert job["status"] == "finished", job["error"]
    assert job["outputs"] == [] and job["texts"] == [{"node_id": "3", "text": "42\n97"}]
    # A fully cached re-run reports the same text, from ComfyUI's cache.
    again = stack.wait(stack.submit("extract", prompt="job 42 of 97")["id"])
    assert again["texts"] == job["texts"]


def test_rejected_workflow_fails_at_once_naming_the_node(stack: Stack, double: ComfyDouble) -> None:
    job = stack.wait(stack.submit("broken")["id"])
    assert job["status"] == "failed"
    assert "NoSuchNode" in job["error"] and job["attempts"] == 1
    assert job["error_details"]["type"] == "invalid_prompt"
    assert [p.status for p in double.received_prompts] == [400]


def test_execution_error_is_a_sentence_with_details(stack: Stack, double: ComfyDouble) -> None:
    job = stack.wait(stack.submit(prompt=double.settings.fail_value)["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("Node 6 (CLIPTextEncode) failed:"), job["error"]
    details = job["error_details"]
    assert (details["type"], details["node_id"], details["node_type"]) == ("execution_error", "6", "CLIPTextEncode")


def test_image_edit_uploads_its_input_to_comfyui(stack: Stack, double: ComfyDouble) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (96, 64), "red").save(picture, format="PNG")
    upload = stack.http.post("/api/uploads", files={"file": ("in.png", picture.getvalue(), "image/png")}).json()
    job = stack.wait(stack.submit("image_edit", image=upload["name"], batch_size=2)["id"])
    assert job["status"] == "finished", job["error"]
    assert [(o["width"], o["height"]) for o in job["outputs"]] == [(96, 64), (96, 64)]
    load_image = double.received_prompts[-1].body["prompt"]["10"]["inputs"]["image"]
    assert (double.input_dir / load_image).is_file(), "LoadImage names the file ComfyUI stored"


def test_legacy_status_shows_the_image_urls(stack: Stack) -> None:
    job_id = stack.http.post("/api/generate", json={"prompt": "legacy", "batch_size": 2}).json()["task_id"]
    stack.wait(job_id)
    status = httpx.get(f"{stack.url}/api/status/{job_id}").json()
    assert status["status"] == "finished" and len(status["image_urls"]) == 2
    assert status["image_url"] == status["image_urls"][0]


def test_job_whose_input_image_was_deleted_fails_with_the_reason(stack: Stack, double: ComfyDouble) -> None:
    double.settings.step_seconds = 0.03
    blockers = [stack.submit(steps=150, seed=i) for i in range(2)]  # both slots of the lane busy
    picture = io.BytesIO()
    Image.new("RGB", (32, 32)).save(picture, format="PNG")
    name = stack.http.post("/api/uploads", files={"file": ("in.png", picture.getvalue(), "image/png")}).json()["name"]
    job = stack.submit("image_edit", image=name)
    (stack.data_dir / "uploads" / name).unlink()
    for blocker in blockers:
        stack.http.post(f"/api/jobs/{blocker['id']}/cancel")
    done = stack.wait(job["id"])
    assert done["status"] == "failed"
    assert done["error"] == f"The job can no longer run: its input image {name} was deleted (uploads are kept STUDIO_UPLOAD_RETENTION_HOURS)"


def test_health_reports_the_stores_of_the_mode(stack: Stack) -> None:
    health = stack.http.get("/health").json()
    if stack.mode == "scaled":
        assert health == {"status": "ok", "database": "healthy", "redis": "healthy", "mode": "scaled-out"}
    else:
        assert health == {"status": "ok", "database": "healthy", "redis": "disabled", "mode": "single-process"}
