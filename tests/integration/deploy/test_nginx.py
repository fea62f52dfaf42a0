"""deploy/nginx/studio.conf in a real nginx in front of a real `studio serve`: HTTPS, the redirect
from HTTP, the live feed over wss, and the X-Forwarded-* headers Studio believes from it."""

from __future__ import annotations

import json
import re
import ssl
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from server.config import Settings
from tests.integration.deploy.nginx import SITE, check, nginx_binary, running_nginx, write_config
from tests.served import serve_studio


def test_the_configuration_passes_nginx_t(tmp_path: Path) -> None:
    nginx = nginx_binary()
    conf, _, _ = write_config(tmp_path, upstream="127.0.0.1:9")
    checked = check(nginx, conf)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_the_body_limit_is_studios_upload_limit_and_quiet_feeds_stay_open() -> None:
    text = SITE.read_text()
    limit = re.search(r"client_max_body_size (\d+)m;", text)
    assert limit and int(limit.group(1)) * 1024 * 1024 == Settings().upload_max_bytes
    feeds = text[text.index("location /ws/") :]
    assert re.search(r"proxy_read_timeout 1h;", feeds), "a quiet /ws/events must outlive nginx's 60 s default"


def test_https_and_the_live_feed_through_nginx(tmp_path: Path) -> None:
    with serve_studio(tmp_path, {"STUDIO_TRUSTED_PROXIES": "127.0.0.1"}) as studio:
        with running_nginx(tmp_path / "nginx", upstream=f"127.0.0.1:{studio.port}") as (proxy, certificate):
            tls = ssl.create_default_context(cafile=str(certificate.cert))
            public = f"localhost:{proxy.https_port}"

            # Plain HTTP is sent to HTTPS.
            redirect = httpx.get(f"http://127.0.0.1:{proxy.http_port}/api/jobs", headers={"Host": "localhost"})
            assert redirect.status_code == 301
            assert redirect.headers["location"] == "https://localhost/api/jobs"

            with httpx.Client(base_url=f"https://{public}", verify=tls, timeout=10) as client:
                assert client.get("/health").json()["status"] == "ok"
                assert client.get("/api/jobs").status_code == 200

            # The feed over wss, opened as Studio's own page at the public https origin: Studio
            # sees https and the public Host (X-Forwarded-*), so the origin is its own.
            with connect(f"wss://{public}/ws/events", ssl=tls, origin=f"https://{public}", open_timeout=10) as feed:
                assert json.loads(feed.recv(timeout=10))["type"] == "queue.snapshot"

            # Another site's page is still refused through the proxy.
            with pytest.raises(InvalidStatus) as refused:
                connect(f"wss://{public}/ws/events", ssl=tls, origin="https://evil.example", open_timeout=10)
            assert refused.value.response.status_code == 403
