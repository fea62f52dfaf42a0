"""Oversized WebSocket upgrades get an answer from a real `studio serve`, not a hang."""

from __future__ import annotations

from tests.served import ServedStudio


def test_a_request_line_over_8_kb_is_refused_with_414_and_closed(studio: ServedStudio) -> None:
    answer = studio.upgrade("/ws/events?workflow=" + "a" * 9000)
    assert answer.startswith(b"HTTP/1.1 414 "), answer[:200]
    assert answer.endswith(b"expected no more than 8192 bytes.\n")  # the whole answer, then closed


def test_a_header_over_8_kb_is_refused_with_431_and_closed(studio: ServedStudio) -> None:
    answer = studio.upgrade("/ws/events", "Cookie: c=" + "b" * 9000 + "\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert answer.endswith(b"expected no more than 8192 bytes.\n")


def test_an_upgrade_within_the_limits_still_opens(studio: ServedStudio) -> None:
    assert studio.upgrade("/ws/events?workflow=" + "a" * 7000).startswith(b"HTTP/1.1 101 ")
