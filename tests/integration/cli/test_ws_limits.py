"""Oversized WebSocket upgrades get an answer from a real `studio serve`, not a hang."""

from __future__ import annotations

import socket

import pytest

from tests.integration.cli.conftest import ServedStudio

KEY_HEADERS = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"


def upgrade(studio: ServedStudio, target: str, extra_headers: str = "") -> bytes:
    """Send a WebSocket upgrade over a raw socket; everything Studio answers until it closes (or 10 s)."""
    with socket.create_connection(("127.0.0.1", studio.port), timeout=10) as sock:
        request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{studio.port}\r\n{KEY_HEADERS}{extra_headers}\r\n"
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


def test_a_request_line_over_8_kb_is_refused_with_414_and_closed(studio: ServedStudio) -> None:
    answer = upgrade(studio, "/ws/events?workflow=" + "a" * 9000)
    assert answer.startswith(b"HTTP/1.1 414 "), answer[:200]
    assert answer.endswith(b"expected no more than 8192 bytes.\n")  # the whole answer, then closed


def test_a_header_over_8_kb_is_refused_with_431_and_closed(studio: ServedStudio) -> None:
    answer = upgrade(studio, "/ws/events", "Cookie: c=" + "b" * 9000 + "\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert answer.endswith(b"expected no more than 8192 bytes.\n")


def test_an_upgrade_within_the_limits_still_opens(studio: ServedStudio) -> None:
    assert upgrade(studio, "/ws/events?workflow=" + "a" * 7000).startswith(b"HTTP/1.1 101 ")
