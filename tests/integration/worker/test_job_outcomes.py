"""Jobs run on ComfyUI through the API: finished with outputs, rejected, failed at run time."""

from __future__ import annotations

import io

import httpx
import msgspec
import pytest
from PIL import Image

from server.jobs.failures import (
    ExecutionError,
    Failure,
    Interrupted,
    InvalidPrompt,
    Lost,
    OutputsFailedValidation,
    Unrunnable,
)
from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import Stack
from tests.integration.worker.test_cancel import SLOW, slow


def failure(job: dict) -> Failure:
    """The job's error_details as a client decodes them: strictly, as the typed union."""
    return msgspec.convert(job["error_details"], Failure)  # type: ignore[arg-type]


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
    assert failure(job) == InvalidPrompt(node_errors={})


def test_model_gone_from_comfyui_fails_naming_node_input_and_value(stack: Stack, double: ComfyDouble) -> None:
    double.kill()
    job = stack.submit(model="gone.safetensors")  # not checked while ComfyUI is away: it waits in the queue
    double.start()
    done = stack.wait(job["id"])
    assert done["status"] == "failed"
    refused = failure(done)
    assert isinstance(refused, OutputsFailedValidation) and list(refused.node_errors) == ["4"]
    [problem] = refused.problems()
    assert problem.startswith("Node 4 (CheckpointLoaderSimple) input 'ckpt_name': value 'gone.safetensors' not in list")
    assert done["error"] == f"ComfyUI rejected the workflow: {problem}"


def test_execution_error_is_a_sentence_with_details(stack: Stack, double: ComfyDouble) -> None:
    job = stack.wait(stack.submit(prompt=double.settings.fail_value)["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("Node 6 (CLIPTextEncode) failed:"), job["error"]
    details = job["error_details"]
    assert (details["type"], details["node_id"], details["node_type"]) == ("execution_error", "6", "CLIPTextEncode")
    raised = failure(job)
    assert isinstance(raised, ExecutionError)
    assert (raised.node_id, raised.node_type) == ("6", "CLIPTextEncode")
    # As ComfyUI sends it: with a trailing newline.
    assert (raised.exception_type, raised.exception_message) == (double.settings.fail_exception_type, double.settings.fail_message + "\n")
    assert raised.traceback and all(isinstance(entry, str) for entry in raised.traceback)


def test_prompt_interrupted_in_comfyui_itself_fails_naming_the_node(stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    job = stack.submit(**SLOW)
    stack.wait(job["id"], {"processing"}, progress_at_least=31)
    httpx.post(f"{double.url}/interrupt", json={}).raise_for_status()  # the global interrupt of ComfyUI's own page
    done = stack.wait(job["id"])
    assert done["status"] == "failed"
    assert done["error"].startswith("ComfyUI interrupted the job at node 3 (KSampler)"), done["error"]
    assert failure(done) == Interrupted(node_id="3")


@pytest.mark.studio_env({"STUDIO_MAX_ATTEMPTS": "1"})
def test_job_comfyui_lost_more_often_than_allowed_fails(stack: Stack, double: ComfyDouble) -> None:
    slow(double)
    job = stack.submit(**SLOW)
    stack.wait(job["id"], {"processing"}, progress_at_least=31)
    double.restart()  # forgets its queue and history: the prompt is lost
    done = stack.wait(job["id"])
    assert done["status"] == "failed" and done["attempts"] == 1
    assert done["error"].startswith("ComfyUI lost the job 1 times"), done["error"]
    assert failure(done) == Lost(attempts=1)


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
    assert failure(done) == Unrunnable()


def test_health_reports_the_stores_of_the_mode(stack: Stack) -> None:
    health = stack.http.get("/health").json()
    if stack.mode == "scaled":
        assert health == {"status": "ok", "database": "healthy", "redis": "healthy", "mode": "scaled-out"}
    else:
        assert health == {"status": "ok", "database": "healthy", "redis": "disabled", "mode": "single-process"}
