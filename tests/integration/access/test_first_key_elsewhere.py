"""A Studio running open on loopback asks for a key from the first request after another process
(`studio keys create`) made the first key: the running server does not keep "no keys" cached."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.cli.test_startup import studio
from tests.served import serve_studio


def test_a_first_key_made_by_another_process_applies_to_the_next_request(tmp_path: Path) -> None:
    with serve_studio(tmp_path) as served:
        for _ in range(3):  # open, however often asked
            assert httpx.get(f"{served.url}/api/jobs").status_code == 200
        made = studio("keys", "create", "root", "--admin", "--data-dir", str(tmp_path / "data"))
        assert made.returncode == 0, made.stderr
        key = made.stdout.strip()
        assert httpx.get(f"{served.url}/api/jobs").status_code == 401
        assert httpx.get(f"{served.url}/api/jobs", headers={"Authorization": f"Bearer {key}"}).status_code == 200
