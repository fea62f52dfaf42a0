"""What a real `studio serve` logs for refused requests: one short line each, never a traceback."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.served import ServedStudio


def app_lines(studio: ServedStudio, path: str) -> list[str]:
    """Studio's own log lines about `path` (uvicorn's access lines left out)."""
    return [line for line in studio.log.read_text().splitlines() if f" {path} " in line and " HTTP/1.1" not in line]


def test_refusals_are_one_line_each_and_never_a_traceback(studio: ServedStudio) -> None:
    missing = f"/api/jobs/{uuid.uuid4()}"
    refusals = {
        # path: (the answer, its status)
        "/api/jobs": (httpx.post(f"{studio.url}/api/jobs", json={"workflow": "text_to_image", "params": {"steps": 500}}), "400"),
        missing: (httpx.get(studio.url + missing), "404"),
        "/api/workflows/nope": (httpx.get(f"{studio.url}/api/workflows/nope"), "404"),
        "/api/jobs/x/cancel": (httpx.post(f"{studio.url}/api/jobs/x/cancel"), "404"),
        "/api/history": (httpx.get(f"{studio.url}/api/history?limit=many"), "400"),
        # No ComfyUI listens behind this Studio: a 503 with a sentence, a warning without traceback.
        "/api/models": (httpx.get(f"{studio.url}/api/models"), "503"),
    }
    for path, (response, status) in refusals.items():
        assert str(response.status_code) == status, (path, response.text)

    deadline = time.monotonic() + 10  # Litestar writes its log from a thread of its own
    while not all(app_lines(studio, path) for path in refusals) and time.monotonic() < deadline:
        time.sleep(0.1)
    log = studio.log.read_text()
    assert "Traceback" not in log and "ERROR" not in log, log
    for path, (_, status) in refusals.items():
        lines = app_lines(studio, path)
        assert len(lines) == 1, (path, lines)
        assert lines[0].startswith("WARNING" if status == "503" else "INFO"), lines
        assert f"answered {status}: " in lines[0] and len(lines[0]) < 500, lines
    assert "params.steps: must be at most 150 (got 500)" in app_lines(studio, "/api/jobs")[0]
