"""Behind a TLS proxy: Studio believes X-Forwarded-Proto/Host from STUDIO_TRUSTED_PROXIES only."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.worker.test_cancel import wait_until
from tests.served import serve_studio

PUBLIC = "https://studio.example.com"
# What nginx sends for a browser's request to https://studio.example.com from a page there.
FROM_THE_PROXY = {
    "Origin": PUBLIC,
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "studio.example.com",
    "X-Forwarded-For": "203.0.113.7",
}
JOB = {"workflow": "text_to_image", "params": {"prompt": "a red fox"}}


@pytest.mark.parametrize(
    ("trusted", "status"),
    [("127.0.0.1", 202), ("10.0.0.0/8", 403), ("", 403)],
    ids=["the peer is the trusted proxy", "the peer is not in the trusted range", "nobody is trusted"],
)
def test_forwarded_headers_count_only_from_a_trusted_proxy(tmp_path: Path, trusted: str, status: int) -> None:
    env = {"STUDIO_ALLOWED_HOSTS": "studio.example.com,127.0.0.1", "STUDIO_TRUSTED_PROXIES": trusted}
    with serve_studio(tmp_path, env) as served:
        answer = httpx.post(f"{served.url}/api/jobs", json=JOB, headers=FROM_THE_PROXY)
        assert answer.status_code == status, answer.text
        # The access log names the browser's address that the proxy forwarded, not the proxy's.
        wait_until(lambda: '"POST /api/jobs HTTP/1.1"' in served.log.read_text())
        assert ("203.0.113.7" in served.log.read_text()) is (status == 202)
