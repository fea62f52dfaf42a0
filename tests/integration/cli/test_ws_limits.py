"""Oversized WebSocket upgrades get an answer from a real `studio serve`, not a hang."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.net import free_port, wait_until_healthy

KEY_HEADERS = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port, comfy_port = free_port(), free_port()  # nothing listens on comfy_port: no ComfyUI needed
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    data = tmp_path_factory.mktemp("ws_limits") / "data"
    command = ["serve", "--port", str(port), "--data-dir", str(data), "--comfy-url", f"http://127.0.0.1:{comfy_port}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", *command], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    if not wait_until_healthy(f"http://127.0.0.1:{port}"):
        process.kill()
        pytest.fail(f"studio serve did not answer: {process.stdout.read().decode()}")
    yield port
    process.terminate()
    process.wait(timeout=10)


def upgrade(port: int, target: str, extra_headers: str = "") -> bytes:
    """Send a WebSocket upgrade over a raw socket; everything Studio answers until it closes (or 10 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{KEY_HEADERS}{extra_headers}\r\n"
        sock.sendall(request.encode())
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if received.startswith(b"HTTP/1.1 101 "):
                    break  # an open socket: it stays open
        except TimeoutError:
            pytest.fail(f"no answer within 10 s (got {received[:200]!r})")
        return received


def test_a_request_line_over_8_kb_is_refused_with_414_and_closed(port: int) -> None:
    answer = upgrade(port, "/ws/events?workflow=" + "a" * 9000)
    assert answer.startswith(b"HTTP/1.1 414 "), answer[:200]
    assert answer.endswith(b"expected no more than 8192 bytes.\n")  # the whole answer, then closed


def test_a_header_over_8_kb_is_refused_with_431_and_closed(port: int) -> None:
    answer = upgrade(port, "/ws/events", "Cookie: c=" + "b" * 9000 + "\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert answer.endswith(b"expected no more than 8192 bytes.\n")


def test_an_upgrade_within_the_limits_still_opens(port: int) -> None:
    assert upgrade(port, "/ws/events?workflow=" + "a" * 7000).startswith(b"HTTP/1.1 101 ")
