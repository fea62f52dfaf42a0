"""A real `studio serve` process for tests that talk to it over the wire, and a raw WebSocket upgrade."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.worker.stack import StudioProcess
from tests.net import free_port, unused_url, wait_until_healthy

UPGRADE_HEADERS = (
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


@dataclass(frozen=True)
class ServedStudio:
    port: int
    url: str
    log: Path  # stdout and stderr together

    def upgrade(self, target: str, headers: str = "") -> bytes:
        """A WebSocket upgrade over a raw socket (`headers`: extra lines, each ending in CRLF;
        a Host line replaces the default); everything Studio answers until it closes (or 10 s)."""
        if not headers.lower().startswith("host:") and "\nhost:" not in headers.lower():
            headers = f"Host: 127.0.0.1:{self.port}\r\n{headers}"
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\n{headers}{UPGRADE_HEADERS}\r\n".encode())
            received = b""
            try:
                while chunk := sock.recv(65536):
                    received += chunk
                    if received.startswith(b"HTTP/1.1 101 "):
                        break  # an open socket: it stays open
            except TimeoutError:
                pytest.fail(f"no answer within 10 s (got {received[:200]!r})")
            return received


@contextmanager
def serve_studio(folder: Path, env: Mapping[str, str] | None = None) -> Iterator[ServedStudio]:
    """`studio serve` (single process, SQLite under `folder`) with `env` on top of no STUDIO_*
    variables; ComfyUI is looked for on a port nobody listens on."""
    port = free_port()
    served = ServedStudio(port, f"http://127.0.0.1:{port}", folder / "studio.log")
    with unused_url() as comfy_url:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
        environ.update({"STUDIO_DATA_DIR": str(folder / "data"), "STUDIO_COMFY_URL": comfy_url, **(env or {})})
        process = StudioProcess(["serve", "--port", str(port)], environ, served.log).start()
        try:
            if not wait_until_healthy(served.url):
                pytest.fail(f"studio serve did not answer: {served.log.read_text()[-3000:]}")
            yield served
        finally:
            process.stop()
