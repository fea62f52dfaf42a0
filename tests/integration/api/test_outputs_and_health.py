"""GET /outputs/... serves stored files and nothing else; GET /health reports the stores."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.config import Settings, load_settings
from server.db.migrate import migrate
from tests.common.paths import REPO


def test_output_file_is_served(client: TestClient, settings: Settings) -> None:
    folder = settings.data_path / "outputs" / "job-1"
    folder.mkdir(parents=True)
    (folder / "fox_00001_.png").write_bytes(b"\x89PNG fake")
    response = client.get("/outputs/job-1/fox_00001_.png")
    assert response.status_code == 200
    assert response.content == b"\x89PNG fake"
    assert response.headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    "path",
    ["/outputs/%2e%2e/studio.sqlite", "/outputs/job-1/%2e%2e/%2e%2e/studio.sqlite", "/outputs/%2Fetc%2Fpasswd", "/outputs/..%2f..%2fetc/passwd"],
)
def test_paths_outside_the_outputs_folder_are_refused(client: TestClient, settings: Settings, path: str) -> None:
    (settings.data_path / "outputs").mkdir(parents=True, exist_ok=True)
    (settings.data_path / "secret.txt").write_text("secret")
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert b"secret" not in response.content and b"SQLite" not in response.content


def test_link_out_of_the_outputs_folder_is_refused(client: TestClient, settings: Settings) -> None:
    outputs = settings.data_path / "outputs"
    outputs.mkdir(parents=True, exist_ok=True)
    (settings.data_path / "secret.txt").write_text("secret")
    (outputs / "link.txt").symlink_to(settings.data_path / "secret.txt")
    assert client.get("/outputs/link.txt").status_code == 400


def test_missing_output_is_404(client: TestClient) -> None:
    response = client.get("/outputs/nope/none.png")
    assert response.status_code == 404
    assert "none.png" in response.json()["detail"]


def test_health_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "healthy", "redis": "disabled", "mode": "single-process"}


def test_health_503_when_database_unreachable(tmp_path: Path, comfy_url: str) -> None:
    data = tmp_path / "lost-volume"
    overrides = {"data_dir": str(data), "workflows_dir": str(REPO / "workflows"), "comfy_urls": [comfy_url]}
    settings = load_settings({}, overrides=overrides)
    asyncio.run(migrate(settings.resolved_database_url))
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        data.rename(tmp_path / "moved-away")  # atomic, unlike deleting a folder SQLite may write to
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unhealthy" and response.json()["status"] == "degraded"
