"""Result reuse through a served Studio: a job whose inputs are identical to a finished job's of
the same owner is answered from copies of that job's outputs, and ComfyUI never sees its prompt
(server/jobs/reuse.py)."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image
from websockets.asyncio.client import connect

from server.events.schemas import JobCreated, JobFinished, QueueSnapshot, message_decoder
from tests.comfyui_double.double import ComfyDouble
from tests.integration.worker.stack import TERMINAL, Stack
from tests.integration.worker.test_fair_queue import key_header

OPTED_OUT = "text_to_image_fresh"


@pytest.fixture
def workflows_dir(workflows_dir: Path) -> Path:
    """The shipped workflows and a copy of text_to_image whose manifest opts out of reuse."""
    shutil.copytree(workflows_dir / "text_to_image", workflows_dir / OPTED_OUT)
    manifest = workflows_dir / OPTED_OUT / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "reuse": False}))
    return workflows_dir


def submit(stack: Stack, workflow: str = "text_to_image", headers: dict[str, str] | None = None, reuse: bool = True, **params: object) -> dict:
    body = {"workflow": workflow, "params": {"prompt": "a red fox", **params}, "reuse": reuse}
    response = stack.http.post("/api/jobs", json=body, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()


def ended(stack: Stack, job: dict, headers: dict[str, str] | None = None) -> dict:
    """The job once it ended, as its owner sees it."""
    deadline = time.monotonic() + 30
    while (job := stack.http.get(f"/api/jobs/{job['id']}", headers=headers).json())["status"] not in TERMINAL:
        assert time.monotonic() < deadline, stack.log.read_text()[-3000:]
        time.sleep(0.05)
    assert job["status"] == "finished", job["error"]
    return job


def upload(stack: Stack, color: tuple[int, int, int]) -> str:
    picture = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(picture, format="PNG")
    return stack.http.post("/api/uploads", files={"file": ("in.png", picture.getvalue(), "image/png")}).json()["name"]


def test_an_identical_job_is_answered_from_the_first_ones_files_of_its_own(stack: Stack, double: ComfyDouble) -> None:
    first = ended(stack, submit(stack, seed=7, batch_size=2))
    files = [stack.http.get(output["url"]).content for output in first["outputs"]]
    again = submit(stack, seed=7, batch_size=2)
    assert again["status"] == "finished" and again["reused_from"] == first["id"], "finished at once, never queued"
    assert again["progress"] == 100 and again["started_at"] and again["finished_at"]
    assert stack.job(again["id"])["reused_from"] == first["id"], "the job detail says whose outputs it took"
    assert len(double.received_prompts) == 1, "ComfyUI never saw the second job"
    assert all(output["path"].startswith(f"{again['id']}/") for output in again["outputs"])
    assert stack.http.delete(f"/api/jobs/{first['id']}").status_code == 204
    assert [stack.http.get(output["url"]).content for output in again["outputs"]] == files, "its files outlive the first job"


def test_a_changed_seed_image_byte_or_reuse_false_runs(single_stack: Stack, double: ComfyDouble) -> None:
    stack = single_stack
    red = upload(stack, (255, 0, 0))
    first = ended(stack, submit(stack, "image_edit", image=red, seed=1))
    same_bytes = upload(stack, (255, 0, 0))  # another upload name, the same bytes: the same inputs
    assert submit(stack, "image_edit", image=same_bytes, seed=1)["reused_from"] == first["id"]
    ran = [
        submit(stack, "image_edit", image=upload(stack, (254, 0, 0)), seed=1),
        submit(stack, "image_edit", image=red, seed=2),
        submit(stack, "image_edit", image=red, seed=1, reuse=False),
    ]
    for job in ran:
        assert ended(stack, job)["reused_from"] is None
    assert len(double.received_prompts) == 4, "every changed job ran on ComfyUI"


def test_reuse_never_crosses_owners(single_stack: Stack, double: ComfyDouble) -> None:
    stack = single_stack
    alice, bob = key_header(stack, "alice"), key_header(stack, "bob")
    alices = ended(stack, submit(stack, headers=alice, seed=5), alice)
    bobs = ended(stack, submit(stack, headers=bob, seed=5), bob)
    assert bobs["reused_from"] is None and len(double.received_prompts) == 2, "bob's identical job ran"
    assert submit(stack, headers=bob, seed=5)["reused_from"] == bobs["id"]
    assert submit(stack, headers=alice, seed=5)["reused_from"] == alices["id"]
    assert len(double.received_prompts) == 2


def test_a_job_whose_files_are_gone_is_not_reused(single_stack: Stack, double: ComfyDouble) -> None:
    stack = single_stack
    first = ended(stack, submit(stack, seed=3))
    (stack.data_dir / "outputs" / first["outputs"][0]["path"]).unlink()
    assert ended(stack, submit(stack, seed=3))["reused_from"] is None
    assert len(double.received_prompts) == 2


def test_a_workflow_opted_out_in_its_manifest_always_runs(single_stack: Stack, double: ComfyDouble) -> None:
    stack = single_stack
    for _ in range(2):
        assert ended(stack, submit(stack, OPTED_OUT, seed=4))["reused_from"] is None
    assert len(double.received_prompts) == 2


def test_live_clients_see_a_reused_job_created_then_finished(single_stack: Stack) -> None:
    stack = single_stack
    first = ended(stack, submit(stack, seed=11))

    async def watch() -> tuple[dict, list]:
        async with connect(f"ws://127.0.0.1:{stack.port}/ws/events") as socket:
            assert isinstance(message_decoder.decode(await socket.recv()), QueueSnapshot)
            again = await asyncio.to_thread(submit, stack, seed=11)
            seen: list = []
            while len(seen) < 2:
                message = message_decoder.decode(await asyncio.wait_for(socket.recv(), 10))
                if isinstance(message, JobCreated | JobFinished) and str(message.job_id) == again["id"]:
                    seen.append(message)
            return again, seen

    again, seen = asyncio.run(watch())
    assert [type(event) for event in seen] == [JobCreated, JobFinished]
    assert str(seen[1].job.reused_from) == first["id"] == again["reused_from"]
