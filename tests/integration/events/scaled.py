"""Real `studio serve --no-worker` processes sharing Redis, and helpers to talk to them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import msgspec
import redis
from websockets.sync.client import ClientConnection, connect

from server.events.schemas import Message, message_decoder
from tests.common.paths import REPO
from tests.common.services import require_service
from tests.integration.worker.stack import StudioProcess
from tests.net import free_port, wait_until_healthy

REDIS_URL = os.environ.get("STUDIO_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def redis_ready() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        require_service("Redis", f"{REDIS_URL}: {exc}")
    return REDIS_URL


def environment(tmp_path: Path, comfy_url: str) -> dict[str, str]:
    """What every process of one scaled-out Studio shares: Redis, the database, the data dir and
    where ComfyUI is (`comfy_url`: these tests need none, so a port nobody listens on)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env.update(
        {
            "STUDIO_REDIS_URL": REDIS_URL,
            "STUDIO_DATA_DIR": str(tmp_path / "data"),
            "STUDIO_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'studio.sqlite'}",
            "STUDIO_WORKFLOWS_DIR": str(REPO / "workflows"),
            "STUDIO_COMFY_URL": comfy_url,
        }
    )
    return env


class Api:
    """One API host: `studio serve --no-worker` on a free port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = StudioProcess(["serve", "--no-worker", "--port", str(self.port)], env, log)
        self.log = log

    def start(self) -> Api:
        self.process.start()
        if wait_until_healthy(self.url):
            return self
        raise AssertionError(f"studio serve did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.stop()

    def socket(self, path: str) -> ClientConnection:
        return connect(f"ws://127.0.0.1:{self.port}{path}", open_timeout=10)

    def job(self, job_id: str) -> dict:
        return httpx.get(f"{self.url}/api/jobs/{job_id}").json()

    def cancel(self, job_id: str) -> None:
        assert httpx.post(f"{self.url}/api/jobs/{job_id}/cancel").status_code == 200

    def submit(self, **params: object) -> dict:
        response = httpx.post(f"{self.url}/api/jobs", json={"workflow": "text_to_image", "params": {"prompt": "a red fox", **params}})
        assert response.status_code == 202, response.text
        return response.json()


def receive(socket: ClientConnection, timeout: float = 10) -> Message:
    return message_decoder.decode(socket.recv(timeout=timeout))


def publisher(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """The worker stand-in as a separate process (see publisher.py)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.events.publisher", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def job_json(job: dict) -> str:
    return msgspec.json.encode(job).decode()
