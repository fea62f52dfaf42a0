"""A Studio that asks for keys, as `studio submit`, `studio watch` and the client library meet it:
each refusal is one sentence saying what to do (send a key, or get another)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path

import pytest

from client.errors import NO_KEY, KeyRefused
from client.events import queue_events
from client.follow import follow
from client.http import StudioClient
from server.events.schemas import QueueSnapshot
from tests.common.paths import REPO
from tests.served import serve_studio
from tests.tui.studio_data import make_key

UNKNOWN = "studio_000000000000_not-a-key-studio-made"
NO_JOB = "5b0c0000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class KeyedStudio:
    url: str
    key: str  # alice's
    revoked: str  # bob's, revoked


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyedStudio]:
    folder = tmp_path_factory.mktemp("keyed")
    with serve_studio(folder) as served:
        key = asyncio.run(make_key(folder / "data", "alice"))
        revoked = asyncio.run(make_key(folder / "data", "bob", revoked=True))
        yield KeyedStudio(served.url, key, revoked)


def studio(*args: str, api_key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STUDIO_API_KEY"}
    if api_key is not None:
        env["STUDIO_API_KEY"] = api_key
    return subprocess.run([sys.executable, "-m", "studio", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


async def test_http_without_a_key_says_how_to_send_one(keyed: KeyedStudio) -> None:
    async with StudioClient(keyed.url) as api:
        with pytest.raises(KeyRefused) as refused:
            await api.workflows()
    assert str(refused.value) == NO_KEY and refused.value.usage


@pytest.mark.parametrize(
    ("which", "says"),
    [("unknown", "This API key is not one Studio knows"), ("revoked", "The API key 'bob' (")],
)
async def test_http_with_a_key_studio_does_not_take_says_what_studio_said(keyed: KeyedStudio, which: str, says: str) -> None:
    async with StudioClient(keyed.url, api_key=UNKNOWN if which == "unknown" else keyed.revoked) as api:
        with pytest.raises(KeyRefused) as refused:
            await api.jobs()
    assert str(refused.value).startswith(says)
    assert which == "unknown" or "was revoked on" in str(refused.value)


async def test_a_good_key_is_let_in(keyed: KeyedStudio) -> None:
    async with StudioClient(keyed.url, api_key=keyed.key) as api:
        assert await api.workflows()
    async with aclosing(queue_events(keyed.url, api_key=keyed.key)) as messages:
        assert isinstance(await anext(messages), QueueSnapshot)


async def test_the_live_feed_handshake_refused_is_the_same_sentence(keyed: KeyedStudio) -> None:
    for api_key, says in [(None, NO_KEY), (keyed.revoked, "The API key 'bob' (")]:
        async with aclosing(queue_events(keyed.url, api_key=api_key)) as messages:
            with pytest.raises(KeyRefused) as refused:
                await anext(messages)
        assert str(refused.value).startswith(says)


async def test_following_a_job_with_an_unknown_key_is_refused_at_once(keyed: KeyedStudio) -> None:
    async with aclosing(follow(keyed.url, NO_JOB, api_key=UNKNOWN)) as messages:
        with pytest.raises(KeyRefused, match="^This API key is not one Studio knows"):
            await asyncio.wait_for(anext(messages), 10)  # not retried


def test_submit_without_a_key_is_one_line_saying_how_to_send_one(keyed: KeyedStudio) -> None:
    result = studio("submit", "text_to_image", "prompt=a red fox", "--url", keyed.url)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"studio: {NO_KEY}\n")


def test_watch_with_a_revoked_key_is_one_line_with_studios_sentence(keyed: KeyedStudio) -> None:
    result = studio("watch", NO_JOB, "--url", keyed.url, api_key=keyed.revoked)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("studio: The API key 'bob' (") and "was revoked on" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_with_a_good_key_watch_gets_past_the_door(keyed: KeyedStudio) -> None:
    result = studio("watch", NO_JOB, "--url", keyed.url, "--api-key", keyed.key)
    assert (result.returncode, result.stderr) == (2, f"studio: No job with id {NO_JOB}.\n")
