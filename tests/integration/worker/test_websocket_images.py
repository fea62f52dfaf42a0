"""SaveImageWebsocket: images that ComfyUI sends only as socket frames are the job's outputs,
and a worker restart that loses those frames runs the job again instead of finishing it empty."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.comfyui_double.double import ComfyDouble
from tests.common.paths import REPO
from tests.integration.worker.stack import Stack
from tests.integration.worker.test_cancel import wait_until

# The recorded getimagesize_savewebsocket graph (captures 03/04): node 4 sends node 3's batch,
# blue (color 255) at node 1's size; plus a PreviewImage of node 1 (green), which is a preview only.
GRAPH = json.loads((REPO / "tests/data/comfyui/workflows/getimagesize_savewebsocket.json").read_text())
GRAPH["5"] = {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}
MANIFEST = {
    "title": "Images over the socket",
    "params": {"count": {"type": "integer", "default": 3, "min": 1, "max": 64, "bind": ["1.batch_size"]}},
}
BLUE = (0, 0, 255)


@pytest.fixture
def workflows_dir(workflows_dir: Path) -> Path:
    folder = workflows_dir / "websocket_images"
    folder.mkdir()
    (folder / "workflow.json").write_text(json.dumps(GRAPH))
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    return workflows_dir


def submit(stack: Stack, count: int) -> str:
    response = stack.http.post("/api/jobs", json={"workflow": "websocket_images", "params": {"count": count}})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def assert_socket_outputs(stack: Stack, job: dict, count: int) -> None:
    assert job["status"] == "finished", job["error"]
    assert [o["filename"] for o in job["outputs"]] == [f"websocket_4_{n:05}_.png" for n in range(1, count + 1)]
    for output in job["outputs"]:
        assert urlsplit(output["url"]).path == f"/outputs/{job['id']}/{output['filename']}"  # signed: ?exp=&sig=
        assert (output["node_id"], output["content_type"]) == ("4", "image/png")
        assert (output["width"], output["height"]) == (64, 48)
        served = stack.http.get(output["url"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        assert len(served.content) == output["size_bytes"]
        image = Image.open(io.BytesIO(served.content))
        assert (image.format, image.size, image.getpixel((0, 0))) == ("PNG", (64, 48), BLUE)


def test_socket_images_are_the_jobs_outputs_in_order(stack: Stack, double: ComfyDouble) -> None:
    job = stack.wait(submit(stack, 3))
    # the PreviewImage's temp file is left out: the job has real outputs
    assert_socket_outputs(stack, job, 3)
    assert job["progress"] == 100 and job["attempts"] == 1


def test_worker_restarted_mid_node_runs_the_job_again(stack: Stack, double: ComfyDouble) -> None:
    """The images sent before the restart are gone with the old socket: finishing the re-attached
    prompt would keep only some of them, so the job runs again and keeps a complete set."""
    double.settings.step_seconds = 0.1  # 30 images: 3 s inside SaveImageWebsocket
    job_id = submit(stack, 30)
    wait_until(lambda: double.executing_node == "4", timeout=30)
    stack.kill_worker()
    stack.restart_worker()
    double.settings.step_seconds = 0.01
    job = stack.wait(job_id, timeout=60)
    assert_socket_outputs(stack, job, 30)
    assert job["attempts"] == 2
    assert [p.prompt_id for p in double.received_prompts].count(job_id) == 2


def test_worker_back_after_comfyui_finished_runs_the_job_again(stack: Stack, double: ComfyDouble) -> None:
    """ComfyUI finished while no worker listened: /history has no trace of socket images."""
    double.settings.step_seconds = 0.05
    job_id = submit(stack, 20)
    wait_until(lambda: double.executing_node == "4", timeout=30)
    stack.kill_worker()
    wait_until(lambda: bool(double.history(job_id)), timeout=20)
    stack.restart_worker()
    job = stack.wait(job_id, timeout=60)
    assert_socket_outputs(stack, job, 20)
    assert job["attempts"] == 2
