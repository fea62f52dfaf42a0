"""Thumbnails of image outputs, against a real `studio serve` and the ComfyUI double: made by the
worker when a job finishes, made on demand for a job without one, served to whom may see the
output (a key's own jobs, a signed link), never for outputs that are not images."""

from __future__ import annotations

import io
import re
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from PIL import Image
from websockets.sync.client import connect

from server.db.tables import Job
from server.events.schemas import JobFinished, message_decoder
from server.thumbs.maker import FOLDER, THUMB_SIZE
from tests.integration.worker.stack import Stack
from tests.integration.worker.test_fair_queue import in_stack_database, key_header


def finished(stack: Stack, headers: dict[str, str] | None = None, **params: object) -> dict:
    response = stack.http.post(
        "/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a red fox", **params}}, headers=headers
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    deadline = time.monotonic() + 30
    while (job := stack.http.get(f"/api/jobs/{job_id}", headers=headers).json())["status"] != "finished":
        assert job["status"] in ("queued", "processing") and time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def thumbnail_file(stack: Stack, output: dict) -> Path:
    job_id, _, name = output["path"].partition("/")
    return stack.data_dir / "outputs" / job_id / FOLDER / f"{name}.webp"


def wait_for_file(path: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not path.is_file():
        assert time.monotonic() < deadline, f"{path} was not made"
        time.sleep(0.05)


def test_a_finished_jobs_images_get_thumbnails_of_their_aspect(single_stack: Stack) -> None:
    with connect(f"ws://127.0.0.1:{single_stack.port}/ws/events", open_timeout=10) as live:
        job = finished(single_stack, aspect_ratio="16:9", batch_size=2)
        while not isinstance(event := message_decoder.decode(live.recv(timeout=10)), JobFinished):
            pass
    assert len(job["outputs"]) == 2
    # The live job.finished carries them too, signed by the API (the worker stores none).
    live_paths = [urlsplit(output.thumbnail_url or "").path for output in event.job.outputs]
    assert live_paths == [urlsplit(output["thumbnail_url"]).path for output in job["outputs"]]
    for output in job["outputs"]:
        wait_for_file(thumbnail_file(single_stack, output))  # made by the worker, before anyone asks
        assert urlsplit(output["thumbnail_url"]).path == f"/thumbs/{output['path']}.webp"
        response = single_stack.http.get(output["thumbnail_url"])
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/webp"
        assert response.headers["cache-control"] == "private, max-age=31536000, immutable"
        with Image.open(io.BytesIO(response.content)) as thumbnail:
            assert thumbnail.format == "WEBP"
            assert thumbnail.size == (THUMB_SIZE, round(THUMB_SIZE * output["height"] / output["width"]))
    # Not an output: the history lists the job's images only.
    assert [o["filename"] for o in single_stack.http.get("/api/jobs").json()["items"][0]["outputs"]] == [
        o["filename"] for o in job["outputs"]
    ]


def test_a_job_without_thumbnails_gets_them_on_demand_once(single_stack: Stack) -> None:
    job = finished(single_stack)
    [output] = job["outputs"]
    made = thumbnail_file(single_stack, output)
    wait_for_file(made)
    shutil.rmtree(made.parent)  # as a job that finished before thumbnails existed
    with ThreadPoolExecutor(8) as pool:  # at once: one thumbnail, never a torn one
        answers = list(pool.map(lambda _: httpx.get(f"{single_stack.url}{output['thumbnail_url']}", timeout=30), range(8)))
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert made.read_bytes() == answers[0].content
    assert sorted(path.name for path in made.parent.iterdir()) == [made.name], "no partial file left behind"
    with Image.open(made) as thumbnail:
        assert thumbnail.size == (THUMB_SIZE, THUMB_SIZE)


def test_thumbnails_open_for_their_owner_and_signed_links_only(single_stack: Stack) -> None:
    alice, bob = key_header(single_stack, "alice"), key_header(single_stack, "bob")
    job = finished(single_stack, alice)
    [output] = job["outputs"]
    signed = output["thumbnail_url"]
    path = urlsplit(signed).path
    http = single_stack.http

    assert http.get(signed).status_code == 200  # the signed link, without a key
    assert http.get(path, headers=alice).status_code == 200
    assert http.get(path).status_code == 401
    others = http.get(path, headers=bob)
    nobody = http.get(path.replace(job["id"], str(uuid.uuid4())), headers=bob)
    assert others.status_code == nobody.status_code == 404
    # The refusal quotes the path cut short, so the ids show in part.
    assert len({re.sub(r"[0-9a-f-]{8,}", "ID", answer.json()["detail"]) for answer in (others, nobody)}) == 1
    tampered = signed.replace("sig=", "sig=x")
    refused = http.get(tampered)
    assert refused.status_code == 403 and "not signed for this file" in refused.json()["detail"]
    # The output's own link does not open the thumbnail.
    query = urlsplit(output["url"]).query
    assert http.get(f"{path}?{query}").status_code == 403


def test_outputs_that_are_not_images_have_no_thumbnail(single_stack: Stack) -> None:
    job = finished(single_stack)
    folder = single_stack.data_dir / "outputs" / job["id"]
    (folder / "clip.webm").write_bytes(b"\x1aE\xdf\xa3 not really a video")
    video = {"path": f"{job['id']}/clip.webm", "url": f"/outputs/{job['id']}/clip.webm", "filename": "clip.webm", "content_type": "video/webm"}

    async def add_video() -> None:
        await Job.update({Job.outputs: [*job["outputs"], video]}).where(Job.id == uuid.UUID(job["id"]))

    in_stack_database(single_stack, add_video)
    outputs = single_stack.http.get(f"/api/jobs/{job['id']}").json()["outputs"]
    assert [output["thumbnail_url"] is None for output in outputs] == [False, True]
    refused = single_stack.http.get(f"/thumbs/{job['id']}/clip.webm.webp")
    assert refused.status_code == 404 and "not an image" in refused.json()["detail"]


def test_the_api_description_says_a_thumbnail_is_webp(single_stack: Stack) -> None:
    served = single_stack.http.get("/schema/openapi.json").json()["paths"]["/thumbs/{path}"]["get"]["responses"]["200"]
    assert served["content"] == {"image/webp": {"schema": {"type": "string", "format": "binary"}}}
