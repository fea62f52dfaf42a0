"""The Containerfile: the image builds from a local base, and Studio runs from it against the
ComfyUI double as a container would (its user, environment, /data and command)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.comfyui_double.double import ComfyDouble
from tests.integration.deploy import image
from tests.integration.stats.scrape import value
from tests.net import free_port, wait_until_healthy

MB = 1000 * 1000
# Issue 11: the whole image, base included, under 250 MB (the local base is about as big as
# python:3.12-slim, the default one).
IMAGE_MAX = 250 * MB


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_image_builds_and_serves_jobs(tmp_path: Path, double: ComfyDouble) -> None:
    image.require_tools()
    base = image.local_base()
    image.build(base)

    total, base_size = image.size(image.IMAGE), image.size(base)
    assert total < IMAGE_MAX, f"the image takes {total / MB:.0f} MB, {base_size / MB:.0f} MB of it the base"
    settings = image.config(image.IMAGE)
    assert (settings.entrypoint, settings.cmd, settings.user) == (["studio"], ["serve"], "studio")
    assert settings.env["STUDIO_DATA_DIR"] == "/data" and settings.env["STUDIO_HOST"] == "0.0.0.0"
    assert settings.healthcheck[0] == "CMD"

    root = image.export_root(image.IMAGE, tmp_path / "root")
    # On 0.0.0.0 Studio wants a key: the first one made in /data before the first start.
    key = image.run_once(root, settings, {}, ["studio", "keys", "create", "admin", "--admin"]).split()[0]
    assert key.startswith("studio_")

    port = free_port()
    env = {"STUDIO_PORT": str(port), "STUDIO_COMFY_URL": double.url}
    log = tmp_path / "studio.log"
    with image.running(root, settings, env, log) as process:
        url = f"http://127.0.0.1:{port}"
        assert wait_until_healthy(url, timeout=60), log.read_text()[-3000:]
        image.run_once(root, settings, env, settings.healthcheck[1:])  # the HEALTHCHECK passes, with no curl
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as http:
            submitted = http.post("/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a red fox"}})
            assert submitted.status_code == 202, submitted.text
            job = _finished(http, submitted.json()["id"], log)
            output = http.get(job["outputs"][0]["url"])
            assert output.status_code == 200 and output.content.startswith(b"\x89PNG")
            assert (root / "data" / "outputs").is_dir()  # kept in the /data volume
            metrics = http.get("/metrics")
            assert metrics.status_code == 200, metrics.text
            assert value(metrics.text, "studio_jobs_total", status="finished", workflow="text_to_image") == 1
            page = http.get("/")  # the web gallery's files are installed with the code
            assert page.status_code == 200 and 'type="importmap"' in page.text, page.text[:500]
            script = http.get(page.text.split('src="', 1)[1].split('"', 1)[0])
            assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert process.returncode == 0, f"Studio did not stop cleanly on SIGTERM: {log.read_text()[-3000:]}"


def _finished(http: httpx.Client, job_id: str, log: Path) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = http.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("finished", "failed", "cancelled"):
            assert job["status"] == "finished", job
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {log.read_text()[-3000:]}")
