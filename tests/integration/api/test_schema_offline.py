"""/schema works offline: every script, style sheet and icon of its pages comes from Studio itself."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from tests.common.services import require_service
from tests.served import serve_studio

PAGES = ("/schema", "/schema/swagger")


class Assets(HTMLParser):
    """The URLs a browser fetches to show the page: <script src>, <link href>, <img src>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        self.urls += [value for name, value in attrs if name == wanted and value]


@pytest.mark.parametrize("page", PAGES)
def test_the_schema_viewer_loads_nothing_from_other_hosts(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    parser = Assets()
    parser.feed(response.text)
    assert len(parser.urls) >= 3, parser.urls  # the Swagger UI script, its preset and its styles
    for url in parser.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} loads {url} from another host"
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 1000, url
    assert "SwaggerUIBundle(" in response.text


def test_the_openapi_document_is_still_served(client: TestClient) -> None:
    document = client.get("/schema/openapi.json")
    assert document.status_code == 200 and document.json()["info"]["title"] == "Studio"
    assert client.get("/schema/openapi.yaml").status_code == 200


def test_the_viewer_renders_in_a_browser_that_reaches_nothing_but_studio(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        require_service("chromium", "not installed (apt-get install chromium)")
    with serve_studio(tmp_path) as studio:
        page = subprocess.run(
            [
                browser,
                "--headless=new",
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                f"--user-data-dir={tmp_path / 'chromium'}",
                # Offline: no name resolves but Studio's address.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=15000",  # let the scripts run before the DOM is printed
                "--dump-dom",
                f"{studio.url}/schema",
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    assert page.returncode == 0, page.stderr[-2000:]
    # Swagger UI drew the API: its root element and the operations, e.g. POST /api/jobs.
    assert 'class="swagger-ui"' in page.stdout, page.stdout[:2000]
    assert 'data-path="/api/jobs"' in page.stdout
