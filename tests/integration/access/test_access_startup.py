"""`studio serve` beyond loopback as a team host starts it: it refuses to run without a key to ask
for, runs open with --insecure-open (and says so loudly), and with a key made first asks for it."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.integration.cli.test_startup import assert_one_sentence, environment, studio
from tests.integration.worker.stack import StudioProcess
from tests.net import free_port, wait_until_healthy
from tests.served import serve_studio

WIDE = "0.0.0.0"


def test_a_wide_bind_with_no_key_refuses_to_start(tmp_path: Path, comfy_url: str) -> None:
    port = free_port(WIDE)
    result = studio("serve", "--host", WIDE, "--port", str(port), "--data-dir", str(tmp_path / "data"), "--comfy-url", comfy_url)
    assert_one_sentence(result)
    assert result.stderr.strip() == (
        "studio: Studio would listen on 0.0.0.0, beyond this machine, with no API key to ask for: "
        "create the first with `studio keys create NAME --admin` (same --data-dir or --database-url), "
        "or pass --insecure-open (STUDIO_INSECURE_OPEN=1) to let anyone who reaches the port do anything."
    )


def test_insecure_open_starts_without_keys_and_warns(tmp_path: Path, comfy_url: str) -> None:
    port = free_port(WIDE)
    log = tmp_path / "studio.log"
    args = ["serve", "--host", WIDE, "--port", str(port), "--data-dir", str(tmp_path / "data"), "--comfy-url", comfy_url]
    process = StudioProcess([*args, "--insecure-open"], environment(), log).start()
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until_healthy(url), log.read_text()[-3000:]
        assert httpx.get(f"{url}/api/jobs").status_code == 200  # open: no key asked for
        warning = f"INSECURE: Studio listens on 0.0.0.0:{port} with no API key (--insecure-open): anyone who can reach this port"
        deadline = time.monotonic() + 5
        while warning not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [line for line in log.read_text().splitlines() if warning in line][0].startswith("WARNING")
    finally:
        process.stop()


def test_with_a_key_made_first_a_wide_bind_starts_and_asks_for_it(tmp_path: Path) -> None:
    made = studio("keys", "create", "root", "--admin", "--data-dir", str(tmp_path / "data"))
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    with serve_studio(tmp_path, env={"STUDIO_HOST": WIDE}) as served:
        refused = httpx.get(f"{served.url}/api/jobs")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["detail"].startswith("Studio wants an API key: send it as 'Authorization: Bearer <key>'")
        assert httpx.get(f"{served.url}/api/jobs", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert httpx.get(f"{served.url}/api/jobs", headers={"Authorization": f"Bearer {key}x"}).status_code == 401
    assert "INSECURE" not in served.log.read_text()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_bind_with_no_key_still_runs_open(tmp_path: Path, host: str) -> None:
    with serve_studio(tmp_path, env={"STUDIO_HOST": host}) as served:
        assert httpx.get(f"{served.url}/api/jobs").status_code == 200
    assert "INSECURE" not in served.log.read_text()
